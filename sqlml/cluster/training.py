"""CREATE MODEL of a boosted tree on a Dask cluster, the coordinator never holding the rows.

1. staging.py: DuckDB checks the label with aggregates and splits the rows into TRAIN / EVAL / TEST parts: the
   training query run into Parquet files under the cluster's staging directory, or, for a query that only scans
   Parquet files, those files read by the workers where they lie.
2. The TRANSFORM is fitted once here, by DuckDB over the training rows; the feature specs too, column by
   column; the workers apply both (partitions.py) to their parts.
3. lightgbm.dask's DaskLGBMClassifier / DaskLGBMRegressor trains max_iterations trees on the workers' encoded
   partitions with engine/families/boosted_tree.py's parameters.
4. The workers score the evaluation rows (and a training sample) after every iteration: ML.TRAINING_INFO's loss
   and eval_loss over all of them, and early_stop's point, where the booster is cut (the trees boosting grew up
   to there are those training stopped there would have); then the evaluation rows' final scores, from which
   the metrics and ML.EVALUATE's stored predictions come. Only (label, scores) reach the coordinator.
5. The version is ordinary (predict, explain, export, versions), with `compute` the cluster's lineage.

A worker lost mid-training fails the statement with an OperationalError; nothing is stored, and the run's
staging directory is removed after success and failure alike.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
import warnings
from typing import TYPE_CHECKING

import numpy as np

from sqlml.cluster import partitions, staging
from sqlml.engine import metrics
from sqlml.engine.context import MLContext
from sqlml.engine.data import transform
from sqlml.engine.data.features_sql import fit_features_sql
from sqlml.engine.families import Family
from sqlml.engine.families.base import record_iteration
from sqlml.engine.families.boosted_tree import BoosterModel, lightgbm_params, stops
from sqlml.engine.sqltext.quoting import quote_identifier
from sqlml.engine.store import catalog
from sqlml.engine.store.catalog import ModelVersion
from sqlml.engine.store.eval_predictions import eval_predictions_blob
from sqlml.engine.training.create_model import (
    check_transform_outputs,
    feature_encoder,
    label_notice,
    training_runs,
)
from sqlml.engine.training.prepared import class_weight_table
from sqlml.errors import Error, NotSupportedError, OperationalError
from sqlml.parser import CreateModel

if TYPE_CHECKING:
    from sqlml.cluster.connection import DaskCluster

TOPIC = "sqlml-training"  # the Dask event each worker logs after each boosting iteration: {"run", "iteration"}
WATCH_S = 0.2  # how often the coordinator looks for lost workers while the workers train
SOCKET_TIMEOUT_MIN = 2  # LightGBM's time_out: a worker waiting this long for a lost peer gives up


def train(cluster: DaskCluster, ctx: MLContext, statement: CreateModel, family: Family, options: dict) -> ModelVersion:
    """A new version of `statement`'s model trained on the cluster's workers (see the module docstring)."""
    _refuse(options)
    schema, name = catalog.resolve_name(ctx.cur, statement.name, new=True)
    with staging.run_directory(cluster.staging) as run:
        staged = staging.stage(ctx, statement, family, options, run, cluster.workers)
        fitted, plan = _preprocessing(ctx, family, options, staged)
        n_classes = 0 if staged.classes is None else len(staged.classes)
        started = time.perf_counter()
        model_text = _boost(cluster, ctx, options, staged, plan, n_classes)
        seconds = time.perf_counter() - started
        history, model_text = _history(cluster, options, staged, plan, model_text, n_classes, seconds)
        measured = "TEST" if staged.parts["TEST"] else "EVAL" if staged.parts["EVAL"] else "SAMPLE"
        y, scores = _scores(cluster, staged.parts[measured], plan, model_text, n_classes)
    version = ModelVersion(
        schema_name=schema,
        model_name=name,
        version=0,
        model_type=options["model_type"],
        options=options,
        label=staged.label,
        label_type=str(staged.label_type),
        classes=None if staged.classes is None else staged.classes.to_pylist(),
        transform=fitted and fitted.state(),
        features=plan["specs"],
        training_sql=statement.query_sql,
        training_rows=staged.rows("TRAIN"),
        eval_rows=staged.rows("TEST") or staged.rows("EVAL"),
        dropped_rows=staged.dropped,
        data_fingerprint=staged.fingerprint,
        metrics=metrics.compute(family.task, y, scores),
        training_info=training_runs(None, history),
        eval_predictions=eval_predictions_blob(y, scores),
        artifact_format=family.artifact_format,
        artifact=model_text.encode(),
        compute=cluster.lineage(),
    )
    ctx.notices += filter(None, [label_notice(version)])
    return version


def _refuse(options: dict) -> None:
    """NotSupportedError for what training on a cluster does not do."""
    refused = {
        "num_trials": (options.get("num_trials", 1) > 1, "tuning trials do not run through this path"),
        "warm_start": (options.get("warm_start"), "continuing a model's trees happens in one process"),
        "booster_type": (options["booster_type"] == "DART", "DART's dropped trees would be renormalized per worker"),
        "category_encoding_method": (
            options["category_encoding_method"] != "LABEL_ENCODING",
            "only LABEL_ENCODING, the default, encodes categories on the workers",
        ),
    }
    for option, (refuse, why) in refused.items():
        if refuse:
            raise NotSupportedError(
                f"OPTIONS: {option}={options[option]!r} is not supported on a cluster ({why}); "
                "use compute='LOCAL' to train in this process"
            )


def _preprocessing(ctx: MLContext, family: Family, options: dict, staged: staging.Staged):
    """The TRANSFORM fitted on the training rows (None without one), and the plan the workers read
    their parts by: the query giving features, label and weight, the feature specs, the classes and weights."""
    fitted, features = None, [quote_identifier(c) for c in staged.features]
    names = staged.features
    if staged.named:
        fitted = transform.fit(ctx.cur, staged.named, staged.scans["TRAIN"], staged.label)
        check_transform_outputs(fitted, options)
        features = [f"{o['sql']} AS {quote_identifier(o['name'])}" for o in fitted.features]
        names = [o["name"] for o in fitted.features]
    source = f"FROM ({partitions.ROWS}) AS __sqlml_raw"
    features_sql = f"SELECT {', '.join(features)} {source}"
    specs = fit_features_sql(ctx.cur, features_sql.replace(partitions.ROWS, staged.scans["TRAIN"]), names)
    weight = options.get("instance_weight_col")
    extra = [f"{quote_identifier(staged.label)} AS {partitions.LABEL}"]
    extra += [f"{quote_identifier(weight)} AS {partitions.WEIGHT}"] if weight else []
    encoder = feature_encoder(family, specs, options)
    classes = None if staged.classes is None else staged.classes.to_pylist()
    weights = classes and class_weight_table(staged.class_counts, classes, options)
    return fitted, {
        "select": f"SELECT {', '.join(features + extra)} {source}",
        "run": staged.run,  # the run directory: a URL's filesystem is registered on the worker's DuckDB
        "specs": specs,
        "one_hot": encoder.linear,
        "scale": encoder.scale,
        "limit": encoder.limit,
        "classes": classes,
        "class_weights": None if weights is None else weights.tolist(),
        "weighted": weight is not None,
        "width": len(encoder.output_names),
        "categorical": encoder.categorical_indices,
    }


def _arrays(client, parts: list[tuple[str, int]], plan: dict):
    """The training parts as dask arrays X, y and weights (None: unweighted), one chunk per part, each part read
    and encoded once, by the workers in turn: left to the scheduler, a busy worker's share would go to the
    other, which then trains alone (lightgbm.dask trains on the workers that hold the data)."""
    import dask.array as da
    from dask import delayed

    workers = sorted(client.nthreads())
    encoded = [
        (client.submit(partitions.encode, rows, plan, workers=[workers[i % len(workers)]], pure=True), n)
        for i, (rows, n) in enumerate(parts)
    ]

    def stacked(index: int, shape, dtype):
        return da.concatenate(
            [da.from_delayed(delayed(partitions.part)(e, index), shape(n), dtype=dtype) for e, n in encoded]
        )

    X = stacked(0, lambda n: (n, plan["width"]), np.float64)
    y = stacked(1, lambda n: (n,), np.float64 if plan["classes"] is None else np.int64)
    weighted = plan["weighted"] or plan["class_weights"] is not None
    return X, y, stacked(2, lambda n: (n,), np.float64) if weighted else None


class _Reporter:
    """A LightGBM callback on each worker: a Dask event after each iteration (progress, and a test's cue)."""

    order = 40

    def __init__(self, run: str):
        self.run = run

    def __call__(self, env) -> None:
        from distributed import get_worker

        done = env.iteration - env.begin_iteration + 1
        get_worker().log_event(TOPIC, {"run": self.run, "iteration": done, "of": env.end_iteration})


def _quiet_lightgbm() -> None:
    """lightgbm.dask's messages in the statement's process ("Finding random open ports for workers") to a logger of
    sqlml's instead of stdout, as verbosity=-1 keeps LightGBM quiet in one process. (Its native code keeps its log
    callback per thread: what a worker's task thread logs while the network starts reaches that worker's stdout.)"""
    import logging

    import lightgbm as lgb

    logger = logging.getLogger("sqlml.lightgbm")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    lgb.register_logger(logger)


def _boost(cluster, ctx: MLContext, options: dict, staged, plan: dict, n_classes: int) -> str:
    """The booster trained by lightgbm.dask on the workers, as LightGBM model text."""
    from lightgbm.dask import DaskLGBMRegressor

    # DaskLGBMClassifier would encode the labels of each worker's rows on its own (a class missing from a
    # worker's rows shifts its codes): the labels are already class indices, trained with the objective's
    # parameters (binary or multiclass, num_class) as in one process
    params = lightgbm_params(options, n_classes, None, staged.rows("TRAIN"))
    run = uuid.uuid4().hex
    estimator = DaskLGBMRegressor(
        client=cluster.client, n_estimators=options["max_iterations"], time_out=SOCKET_TIMEOUT_MIN, **params
    )
    X, y, weights = _arrays(cluster.client, staged.parts["TRAIN"], plan)
    _quiet_lightgbm()
    done = {}

    def fit() -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # lightgbm.dask: "Parameter n_jobs will be ignored"
                estimator.fit(
                    X, y, sample_weight=weights, categorical_feature=plan["categorical"], callbacks=[_Reporter(run)]
                )
            done["model"] = _without_network(estimator.booster_.model_to_string())
        except BaseException as exc:  # reported by the waiting thread
            done["error"] = exc

    progress = {"iteration": 0}
    cluster.client.subscribe_topic(
        TOPIC, lambda event: event[1]["run"] == run and progress.update(iteration=event[1]["iteration"])
    )
    try:
        _watch(cluster, ctx, threading.Thread(target=fit, daemon=True), done, progress, options["max_iterations"])
    finally:
        cluster.client.unsubscribe_topic(TOPIC)
    error = done.get("error")
    if isinstance(error, Error):  # a worker's DataError about the rows, say
        raise error
    if error is not None:
        raise OperationalError(f"training on the cluster failed: {error}") from None
    return done["model"]


NETWORK = re.compile(r"^\[(machines|local_listen_port|num_machines|time_out): [^\n]*\]\n", re.MULTILINE)


def _without_network(text: str) -> str:
    """LightGBM model text without the parameters of the training's network (the workers' addresses), which
    describe the run, not the model."""
    return NETWORK.sub("", text)


def _watch(cluster, ctx: MLContext, thread: threading.Thread, done: dict, progress: dict, total: int) -> None:
    """Run the training thread, reporting its iterations, until it ends; OperationalError as soon as a worker
    it started with leaves the cluster."""
    client = cluster.client
    workers = set(client.nthreads())  # asked of the scheduler each time (scheduler_info may answer from a cache)
    thread.start()
    while thread.is_alive():
        thread.join(WATCH_S)
        ctx.progress("training", progress["iteration"], total)
        lost = workers - set(client.nthreads())
        if lost and thread.is_alive():
            raise OperationalError(
                f"worker(s) {', '.join(sorted(lost))} left the cluster during training; nothing was stored"
            )


def _gather(cluster, function, parts: list[tuple[str, int]], *args) -> list:
    """`function(rows, *args)` of each part, run on the workers."""
    client = cluster.client
    try:
        return client.gather(client.map(function, [rows for rows, _ in parts], *[[a] * len(parts) for a in args]))
    except (OSError, TimeoutError) as exc:
        raise OperationalError(f"scoring on the cluster failed: {exc}") from None


def _history(
    cluster, options: dict, staged, plan: dict, model_text: str, n_classes: int, seconds: float
) -> tuple[list[dict], str]:
    """ML.TRAINING_INFO's rows (loss: the training sample's, weighted as training; eval_loss: the evaluation
    rows'; each iteration's share of the `seconds` training took), and the booster cut where early_stop ends
    training (the evaluation loss, or the training loss without evaluation rows)."""

    def losses(split: str, weighted: bool) -> np.ndarray | None:
        if not staged.parts[split]:
            return None
        args = (plan, model_text, n_classes, weighted)
        results = _gather(cluster, partitions.iteration_losses, staged.parts[split], *args)
        return sum(total for total, _ in results) / sum(weight for _, weight in results)

    loss, eval_loss = losses("SAMPLE", True), losses("EVAL", False)
    watched = loss if eval_loss is None else eval_loss
    kept, best = len(watched), np.inf
    for iteration, value in enumerate(watched):
        if options["early_stop"] and stops(best, value, options["min_rel_progress"]):
            kept = iteration + 1  # training stops after the iteration that made too little progress
            break
        best = min(best, value)
    history: list[dict] = []
    each = seconds / len(watched)
    for iteration in range(kept):
        record_iteration(
            history,
            time.perf_counter() - each,
            loss[iteration],
            None if eval_loss is None else eval_loss[iteration],
            options["learn_rate"],
        )
    if kept < len(watched):  # the booster's first iterations (its text keeps the parameters it trained with)
        model_text = BoosterModel.load(model_text.encode(), n_classes).booster.model_to_string(num_iteration=kept)
    return history, model_text


def _scores(cluster, parts: list[tuple[str, int]], plan: dict, model_text: str, n_classes: int):
    """(labels, scores) of the parts' rows, scored on the workers."""
    results = _gather(cluster, partitions.score, parts, plan, model_text, n_classes)
    return np.concatenate([y for y, _ in results]), np.concatenate([s for _, s in results])

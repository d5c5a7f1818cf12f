"""CREATE MODEL: read the training query, split, preprocess, train, evaluate, and store a new version.

Everything that can fail runs before the catalog is touched; the catalog write is one transaction.
"""

from __future__ import annotations

import hashlib
import time
from contextlib import nullcontext
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sqlml.engine import compute, metrics
from sqlml.engine.context import MLContext
from sqlml.engine.data import transform
from sqlml.engine.data.features import (
    ColumnIndex,
    FeatureEncoder,
    fit_category_encoding,
    fit_features,
    recount_distributions,
)
from sqlml.engine.data.rows import fingerprint, query_fingerprint
from sqlml.engine.families import FAMILIES, Family, TrainData, validate_options
from sqlml.engine.families.base import record_iteration, training_sample
from sqlml.engine.model_statements import expiration_micros
from sqlml.engine.store import catalog
from sqlml.engine.store.catalog import ModelVersion
from sqlml.engine.store.eval_predictions import eval_predictions_blob
from sqlml.engine.store.trials import TrialRecord
from sqlml.engine.training import automl, tuning
from sqlml.engine.training.prepared import Prepared, class_weights, prepare
from sqlml.errors import DataError, IntegrityError, NotSupportedError, ProgrammingError
from sqlml.parser import CreateModel


def train_once(family: Family, data: TrainData, eval_X: np.ndarray, eval_y: np.ndarray | None) -> tuple:
    """(estimator, metrics, evaluation scores, training history) of one training on `data` (its options, its
    progress), measured on the evaluation rows; a tuning trial on a cluster's worker runs it too."""
    run = replace(data, history=[])
    started = time.perf_counter()
    estimator = family.fit(run)
    scores = estimator.predict(eval_X)
    row = metrics.compute(family.task, eval_y, scores, eval_X)
    if not run.history:  # a single-shot solver: one row, its losses on the training and evaluation rows
        sample = training_sample(len(run.X), run.options["seed"])
        record_iteration(
            run.history,
            started,
            metrics.loss(family.task, None if run.y is None else run.y[sample], estimator.predict(run.X[sample])),
            metrics.loss(family.task, eval_y, scores) if data.X_eval is not None else None,
        )
    return estimator, row, scores, run.history


def _fit(family: Family, data: TrainData, eval_X: np.ndarray, eval_y: np.ndarray | None, cluster=None) -> tuple:
    """(estimator, metrics, evaluation scores, tuning trials, training history, where each trial ran): one
    training, or num_trials of them (then the optimal trial's), on the workers of `cluster` when given."""
    if data.options.get("num_trials", 1) == 1:
        estimator, row, scores, history = train_once(family, data, eval_X, eval_y)
        return estimator, row, scores, [], history, None
    quiet = data.progress.silent()  # trials may run in parallel: tuning reports finished trials

    def here(options: dict) -> tuple:
        return train_once(family, replace(data, options=options, progress=quiet), eval_X, eval_y)

    with cluster.trials(family, data, eval_X, eval_y, quiet) if cluster else nullcontext(here) as train:
        trials, objective = tuning.run_trials(data.options, family.task, train, data.progress)
    records = _trial_records(trials, objective, lambda result: eval_predictions_blob(eval_y, result[2]))
    estimator, row, scores, history = tuning.optimal(trials, objective).result[:4]
    ran = [{"trial_id": t.trial_id, **t.result[4]} for t in trials if cluster and t.result]
    return estimator, row, scores, records, history, ran or None


def _trial_records(trials: list[tuning.Trial], objective: str, predictions) -> list[TrialRecord]:
    """sqlml.model_trials' rows of the trials, each result (model, metrics, ..., history); `predictions(result)`
    its evaluation predictions."""
    best = tuning.optimal(trials, objective)
    return [
        TrialRecord(
            trial.trial_id,
            trial.hyperparameters,
            trial.result and trial.result[1],
            trial.objective,
            "SUCCEEDED" if trial.result else "FAILED",
            trial.error,
            trial is best,
            trial.result and trial.result[0].artifact(),
            trial.result and predictions(trial.result),
            trial.result and trial.result[3][-1]["loss"],
            trial.result and trial.result[3][-1]["eval_loss"],
        )
        for trial in trials
    ]


def _warm_start_from(ctx: MLContext, statement: CreateModel, options: dict, family: Family, name: tuple[str, str]):
    """The Model a warm_start=TRUE statement continues; ProgrammingError when it cannot."""
    schema, model = name
    if not statement.args.get("replace") or catalog.active_version(ctx.cur, schema, model) is None:
        raise ProgrammingError(
            f"OPTIONS: warm_start=TRUE continues an existing model: use CREATE OR REPLACE "
            f"MODEL on one ({schema}.{model} does not exist)"
        )
    previous = ctx.models.get(ctx.cur, (schema, model))
    if previous.version.model_type != options["model_type"]:
        raise ProgrammingError(
            f"OPTIONS: warm_start=TRUE continues model {schema}.{model}, a "
            f"{previous.version.model_type}: model_type must stay {previous.version.model_type}"
        )
    if statement.args.get("transform"):
        raise ProgrammingError(
            "OPTIONS: warm_start=TRUE keeps the model's TRANSFORM and its statistics; leave the TRANSFORM clause out"
        )
    wanted = options.get("input_label_cols")
    if wanted and wanted[0].lower() != previous.version.label.lower():
        raise ProgrammingError(f"OPTIONS: warm_start=TRUE keeps the label '{previous.version.label}'")
    given = statement.options_dict
    for option in family.warm_start_kept:  # what the continued estimator's shape and inputs depend on
        kept = previous.version.options[option]
        if option in given and options[option] != kept:
            raise ProgrammingError(
                f"OPTIONS: warm_start=TRUE keeps {option} = {kept!r}; it cannot change to {options[option]!r}"
            )
        options[option] = kept
    return previous


def _continue_with(previous, prep: Prepared, family: Family) -> None:
    """Fit `prep` to the version warm_start continues: its features (unless TRANSFORM makes them), and its
    classes for the labels."""
    if previous.transform is None:
        features = {spec["name"].lower() for spec in previous.version.features}
        extra = [c for c in prep.features if c.lower() not in features]
        if extra:
            raise ProgrammingError(
                f"warm_start=TRUE keeps the model's features; the query has new column(s) "
                f"{', '.join(extra)}: leave them out"
            )
        previous.encoder.resolve(prep.features)  # every feature present
    if prep.classes is not None:
        unknown = [c for c in prep.classes.to_pylist() if c not in previous.classes.to_pylist()]
        if unknown:
            raise DataError(
                f"warm_start=TRUE keeps the model's classes {previous.classes.to_pylist()}; the rows "
                f"have new class(es) {unknown}"
            )
        if family.warm_start_all_classes and len(prep.classes) < len(previous.classes):
            missing = sorted(set(previous.classes.to_pylist()) - set(prep.classes.to_pylist()), key=str)
            raise DataError(
                f"warm_start=TRUE of a {family.model_type} needs rows of every class it knows; missing: {missing}"
            )
        prep.y = pc.index_in(prep.classes.take(pa.array(prep.y)), value_set=previous.classes).to_numpy()
        prep.classes = previous.classes


def training_runs(previous, history: list[dict]) -> list[dict]:
    """ML.TRAINING_INFO's rows: the previous version's runs (warm_start), then this one."""
    runs = previous.version.training_info if previous is not None else []
    run = runs[-1]["training_run"] + 1 if runs else 0
    return runs + [{"training_run": run, **row} for row in history]


@dataclass
class Features:
    """The prepared rows as the estimator reads them: the TRANSFORM fitted (or kept), the feature columns."""

    prep: Prepared
    fitted: transform.Transform | None
    table: pa.Table  # every row after TRANSFORM, in the prepared order
    names: list[str]

    @property
    def train_rows(self) -> pa.Table:
        idx = self.prep.train_idx
        return self.table if len(idx) == self.table.num_rows else self.table.take(idx)


def create_model(ctx: MLContext, statement: CreateModel) -> None:
    """Run a CREATE [OR REPLACE] MODEL [IF NOT EXISTS] statement."""
    raw = statement.options_dict
    expiration = expiration_micros(ctx.cur, raw.pop("expiration_timestamp", None))  # the model's, not a version's
    options = validate_options(raw)
    family = FAMILIES[options["model_type"]]
    schema, name = catalog.resolve_name(ctx.cur, statement.name, new=True)
    if _kept_as_is(ctx.cur, statement, schema, name):
        return
    if family.imported:
        _store(ctx.cur, statement, _imported(ctx, statement, family, (schema, name), options), expiration=expiration)
        return
    if statement.query_sql is None:
        raise ProgrammingError("CREATE MODEL needs AS <query> (only model_type='onnx' imports a model without one)")
    if family.transform_only:
        _store(ctx.cur, statement, _transform_only(ctx, statement, family, (schema, name), options))
        return
    if family.forecasting:
        _store(ctx.cur, statement, _forecasting(ctx, statement, family, (schema, name), options), expiration=expiration)
        return
    where = compute.wanted(options, ctx.has_cluster, family)
    if family.recommends:
        _store(ctx.cur, statement, *_recommending(ctx, statement, family, (schema, name), options, where), expiration)
        return
    if where == "cluster":
        _store(ctx.cur, statement, ctx.cluster().train(ctx, statement, family, options), expiration=expiration)
        return
    previous = _warm_start_from(ctx, statement, options, family, (schema, name)) if options.get("warm_start") else None
    data = ctx.read_table(ctx.part(statement.query_sql, statement.query_start))
    # AutoML prepares the data as its first candidate family does, then trains the family its search picks
    preparing = family if family.search is None else automl.candidates(family.task)[0]
    features = _features(ctx, statement, options, preparing, data, previous)
    cluster = ctx.cluster() if where == "trials" else None
    encoding = _encoding(preparing, family.search, options, features, previous, cluster, ctx.progress)
    train, eval_X, eval_y = _train_data(ctx, options, encoding, features, previous)
    family = encoding.family
    if options.get("fairness_constraint"):
        family = _fairness_constrained(family, features, options)
    estimator, row, eval_scores, trials, history, ran = _fit(family, train, eval_X, eval_y, cluster)
    prep = features.prep
    if len(prep.test_idx):  # the evaluation rows measured training; ML.EVALUATE's figures are the test rows'
        test_X, eval_y = encoding.encoder.transform(features.table.take(prep.test_idx)), prep.y[prep.test_idx]
        eval_scores = estimator.predict(test_X)
        row = metrics.compute(family.task, eval_y, eval_scores, test_X)
    record = ModelVersion(
        schema_name=schema,
        model_name=name,
        version=0,
        model_type=options["model_type"],
        options=options,
        label=prep.label,
        label_type=None if prep.label is None else str(prep.table.column(prep.label).type),
        classes=_class_list(prep),
        transform=features.fitted and features.fitted.state(),
        features=encoding.specs,
        training_sql=statement.query_sql,
        training_rows=len(prep.train_idx),
        eval_rows=len(prep.test_idx) or len(prep.eval_idx),  # the rows ML.EVALUATE's stored figures measure
        dropped_rows=prep.dropped,
        data_fingerprint=fingerprint(ctx.cur, data),
        metrics=row,
        training_info=training_runs(previous, history),
        estimator_type=encoding.estimator_type,
        eval_predictions=eval_predictions_blob(eval_y, eval_scores),
        artifact_format=family.artifact_format,
        artifact=estimator.artifact(),
        compute=_lineage(where, family, cluster, ran or encoding.ran),
    )
    _store(ctx.cur, statement, record, trials or encoding.trials, expiration)
    ctx.notices += filter(None, [label_notice(record)])


def _lineage(where: str | None, family: Family, cluster, ran: list[dict] | None) -> dict | None:
    """Where the version trained (None: in this process, no cluster involved); tuned (or AutoML's search) on a
    cluster: its trials' (candidates') workers and times."""
    if where == "trials":
        return {**cluster.lineage(), "trials_on": "workers", "trials": ran}
    return compute.kept_local(where, family)


def _kept_as_is(cur, statement: CreateModel, schema: str, name: str) -> bool:
    """True when the model exists and the statement says IF NOT EXISTS; IntegrityError when it exists and
    the statement does not replace it. An expired model counts as gone (the new version replaces it)."""
    if catalog.live_version(cur, schema, name) is None:
        return False
    if statement.args.get("exists"):
        return True
    if not statement.args.get("replace"):
        raise IntegrityError(
            f"model {schema}.{name} already exists; use CREATE OR REPLACE MODEL "
            "to add a new version, or CREATE MODEL IF NOT EXISTS"
        )
    return False


def _class_list(prep: Prepared) -> list | None:
    return None if prep.classes is None else prep.classes.to_pylist()


def _features(
    ctx: MLContext, statement: CreateModel, options: dict, family: Family, data: pa.Table, previous
) -> Features:
    """The training query's rows prepared (label, classes, split) and run through the TRANSFORM clause, fitted
    on the training rows (warm_start: the model's own TRANSFORM)."""
    label = options["input_label_cols"][0] if family.supervised else None
    named = transform_items(statement, data.column_names, label, options)
    fitted = previous.transform if previous is not None else None
    label_output = transform.label_output(named, label) if named and label else fitted and fitted.label_output()
    prep = prepare(transform.label_values(ctx.cur, data, *label_output) if label_output else data, options, family)
    if previous is not None:
        _continue_with(previous, prep, family)
    if named:  # the features are the TRANSFORM's outputs, fitted on the training rows
        fitted = transform.fit(ctx.cur, named, prep.table.take(prep.train_idx), prep.label)
        check_transform_outputs(fitted, options)
    if fitted is None:
        return Features(prep, None, prep.table, prep.features)
    return Features(prep, fitted, fitted.apply(ctx.cur, prep.table), [output["name"] for output in fitted.features])


def transform_items(statement: CreateModel, columns: list[str], label: str | None, options: dict) -> list | None:
    """The statement's TRANSFORM items parsed against the query's `columns` (None: no TRANSFORM clause)."""
    items = statement.args.get("transform")
    never = ("data_split_col", "kmeans_init_col", "sensitive_feature", "instance_weight_col")
    return items and transform.parse_items(items, columns, label, tuple(options.get(option) for option in never))


def check_transform_outputs(fitted: transform.Transform, options: dict) -> None:
    """A TRANSFORM outputs some feature, none reading the sensitive_feature."""
    if not fitted.features:
        raise ProgrammingError("TRANSFORM outputs no feature besides the label")
    sensitive = options.get("sensitive_feature")
    reading = [o["name"] for o in fitted.features if sensitive and sensitive.lower() in {c.lower() for c in o["reads"]}]
    if reading:
        raise ProgrammingError(
            f"OPTIONS: sensitive_feature '{sensitive}' serves the fairness constraint only and "
            f"is never a feature; TRANSFORM output(s) {', '.join(reading)} read it"
        )


@dataclass
class Encoding:
    """The family that trains, with its options, and how it reads the rows (AutoML: its search's winner)."""

    family: Family
    options: dict
    encoder: FeatureEncoder
    specs: list[dict]  # the feature specs the version stores
    estimator_type: str | None = None  # AutoML: the winning model_type
    trials: list = field(default_factory=list)  # AutoML: every candidate, as TrialRecords
    ran: list | None = None  # AutoML on a cluster: where and when each candidate ran


def _encoding(
    family: Family, search, options: dict, features: Features, previous, cluster=None, progress=None
) -> Encoding:
    """`family`'s encoding of the features fitted on the training rows, or with AutoML's `search` (its candidates on
    `cluster`'s workers when given, cancelled with `progress`), the winner's.
    A warm start keeps the previous version's preprocessing, so that its estimator reads the new rows as it
    read the old (the distributions ML.VALIDATE_DATA_SKEW compares with are of this version's own rows)."""
    train_rows = features.train_rows
    if previous is not None:
        return Encoding(family, options, previous.encoder, recount_distributions(previous.version.features, train_rows))
    specs = fit_features(train_rows, features.names)
    y = None if features.prep.y is None else features.prep.y[features.prep.train_idx]
    n_classes = len(_class_list(features.prep) or ())
    if search is None:
        specs = fit_category_encoding(specs, family.category_encoding(options), train_rows, y, n_classes)
        return Encoding(family, options, feature_encoder(family, specs, options), specs)
    winner, options, trials, ran = search(options, specs, train_rows, y, n_classes, cluster, progress)
    encoder = feature_encoder(FAMILIES[winner], specs, options)
    return Encoding(FAMILIES[winner], options, encoder, specs, winner, trials, ran)


def feature_encoder(family: Family, specs: list[dict], options: dict) -> FeatureEncoder:
    return FeatureEncoder(specs, family.one_hot(options), family.scales(options), family.feature_limit)


def _row_weights(prep: Prepared, options: dict) -> np.ndarray | None:
    """Each training row's weight: instance_weight_col's, or a classifier's class weight (None: unweighted)."""
    if prep.row_weights is not None:
        return prep.row_weights[prep.train_idx]
    classes = _class_list(prep)
    return None if classes is None else class_weights(prep.y[prep.train_idx], classes, options)


def _train_data(
    ctx: MLContext, options: dict, encoding: Encoding, features: Features, previous
) -> tuple[TrainData, np.ndarray, np.ndarray | None]:
    """What the trainer reads, and the rows metrics are measured on: the evaluation split; without one, the
    training rows (kmeans, pca) or a sample of them (NO_SPLIT, AUTO_SPLIT under 500 rows)."""
    prep, table = features.prep, features.table
    y, train_idx, eval_idx = prep.y, prep.train_idx, prep.eval_idx
    class_list, encoder = _class_list(prep), encoding.encoder
    X = encoder.transform(features.train_rows)
    X_eval = encoder.transform(table.take(eval_idx)) if len(eval_idx) else None
    data = TrainData(
        X=X,
        y=None if y is None else y[train_idx],
        options=encoding.options,
        n_classes=len(class_list or ()),
        weights=_row_weights(prep, options),
        X_eval=X_eval,
        y_eval=y[eval_idx] if len(eval_idx) else None,
        categorical_indices=encoder.categorical_indices,
        category_blocks=encoder.category_blocks(),
        X_init=None if prep.init_idx is None else encoder.transform(table.take(prep.init_idx)),
        init=previous and previous.estimator,
        progress=ctx.progress,
    )
    if len(eval_idx):
        return data, X_eval, y[eval_idx]
    if y is None:
        return data, X, None
    sample = training_sample(len(train_idx), options["seed"])
    return data, X[sample], y[train_idx][sample]


def _fairness_constrained(family: Family, features: Features, options: dict) -> Family:
    """The family training under options' fairness_constraint (engine/training/fairness_constraint.py)."""
    from sqlml.engine.training import fairness_constraint as fairness

    prep = features.prep
    if len(prep.classes) != 2:
        raise NotSupportedError(
            f"fairness_constraint needs a binary label; '{prep.label}' has {len(prep.classes)} classes"
        )
    sensitive = options["sensitive_feature"]  # a column of the query's rows (never a TRANSFORM output)
    groups = fairness.group_keys(prep.table.take(prep.train_idx).column(sensitive), sensitive, "OPTIONS")
    return replace(family, fit=fairness.mitigated(family.fit, groups, options))


CONTINUOUS_CLASSES = 20  # a numeric label with more classes than this looks like a quantity


def label_notice(version: ModelVersion) -> str | None:
    """A warning for a classifier whose numeric label has so many values it looks continuous."""
    classes = version.classes or ()
    if len(classes) <= CONTINUOUS_CLASSES:
        return None
    label_type = pa.type_for_alias(version.label_type)
    if not (pa.types.is_integer(label_type) or pa.types.is_floating(label_type)):
        return None
    regressor = version.model_type.replace("classifier", "regressor").replace("logistic_reg", "linear_reg")
    return (
        f"label '{version.label}' of classifier {version.qualified_name} has {len(classes)} distinct numeric "
        f"values, each learned as a class of its own; if it is a quantity, train a regressor "
        f"(model_type='{regressor}')"
    )


def _store(cur, statement: CreateModel, record: ModelVersion, trials: list = (), expiration: int | None = None) -> None:
    """Add the version in one transaction (unless a concurrent statement created the model meanwhile); the model
    expires at `expiration` (Unix microseconds; None: never)."""
    with catalog.transaction(cur):
        current = catalog.live_version(cur, record.schema_name, record.model_name)
        if current is not None and not statement.args.get("replace"):
            raise IntegrityError(f"model {record.qualified_name} was created by another statement meanwhile")
        catalog.insert_version(cur, record, trials)
        catalog.set_description(cur, record.schema_name, record.model_name, {"expiration_timestamp": expiration})


def _transform_only(
    ctx: MLContext, statement: CreateModel, family: Family, qualified: tuple[str, str], options: dict
) -> ModelVersion:
    """A transform_only model: its TRANSFORM fitted on every row of the query, and no estimator."""
    items = statement.args.get("transform")
    if not items:
        raise ProgrammingError(
            f"CREATE MODEL with model_type='{family.model_type}' needs a TRANSFORM(...) clause: it is what the model holds"
        )
    data = ctx.read_table(ctx.part(statement.query_sql, statement.query_start))
    fitted = transform.fit(ctx.cur, transform.parse_items(items, data.column_names, None), data, None)
    reads = ColumnIndex(sorted({column for output in fitted.outputs for column in output["reads"]}, key=str.lower))
    return _unlabelled(
        family,
        qualified,
        options,
        features=fit_features(data, [name for name in data.column_names if reads.find(name)]),  # ML.FEATURE_INFO's
        training_sql=statement.query_sql,
        training_rows=data.num_rows,
        data_fingerprint=fingerprint(ctx.cur, data),
        transform=fitted.state(),
        artifact=family.load(b"{}", 0).artifact(),
    )


def _own_query(ctx: MLContext, statement: CreateModel, family: Family) -> str:
    """The training query of a family with its own training path (forecasting, matrix factorization), which
    takes no TRANSFORM clause."""
    if statement.args.get("transform"):
        raise ProgrammingError(f"CREATE MODEL with model_type='{family.model_type}' takes no TRANSFORM clause")
    return ctx.part(statement.query_sql, statement.query_start)


def _forecasting(
    ctx: MLContext, statement: CreateModel, family: Family, qualified: tuple[str, str], options: dict
) -> ModelVersion:
    """A forecasting model (ARIMA_PLUS, ARIMA_PLUS_XREG): its series fitted (engine/forecasting/training.py), on
    the session's cluster when the compute option says so."""
    from sqlml.engine.forecasting import training

    query = _own_query(ctx, statement, family)
    cluster = ctx.cluster() if compute.wanted(options, ctx.has_cluster, family) == "cluster" else None
    model, rows, dropped = training.train(ctx, query, options, cluster)
    if dropped:
        ctx.notices.append(f"{dropped} row(s) with a NULL {options['time_series_timestamp_col']} were left out")
    return _unlabelled(
        family,
        qualified,
        options,
        training_sql=statement.query_sql,
        training_rows=rows,
        dropped_rows=dropped,
        data_fingerprint=query_fingerprint(ctx.cur, query),
        artifact=model.artifact(),
        compute=cluster and cluster.lineage(),
    )


def _recommending(
    ctx: MLContext,
    statement: CreateModel,
    family: Family,
    qualified: tuple[str, str],
    options: dict,
    where: str | None,
) -> tuple[ModelVersion, list[TrialRecord]]:
    """A matrix factorization model: its users and items factorized (engine/recommend/training.py), num_trials
    times when tuned (then the optimal trial's), and its trials; `where` it trains (in this process)."""
    from sqlml.engine.recommend import training

    query = _own_query(ctx, statement, family)
    records = []
    if options["num_trials"] == 1:
        trained = training.train(ctx, query, options)
    else:
        trained, trials, objective = training.tune(ctx, query, options)
        records = _trial_records(trials, objective, lambda result: b"")
    if trained.dropped_rows:
        ctx.notices.append(f"{trained.dropped_rows} row(s) with a NULL user, item or rating were left out")
    return _unlabelled(
        family,
        qualified,
        options,
        dropped_rows=trained.dropped_rows,
        measured=trained.metrics,
        eval_rows=trained.eval_rows,
        training_info=training_runs(None, trained.history),
        training_sql=statement.query_sql,
        training_rows=trained.training_rows,
        data_fingerprint=query_fingerprint(ctx.cur, query),
        artifact=trained.model.artifact(),
        compute=compute.kept_local(where, family),
    ), records


def _unlabelled(
    family: Family,
    qualified: tuple[str, str],
    options: dict,
    features: list | None = None,
    dropped_rows: int = 0,
    measured: dict | None = None,
    eval_rows: int = 0,
    **fields,
) -> ModelVersion:
    """A version with no label (transform_only, onnx, forecasting, matrix factorization): `fields` the rest;
    `features` the specs of the inputs, if known; `measured` the metrics of its `eval_rows` (or training rows)."""
    schema, name = qualified
    return ModelVersion(
        schema_name=schema,
        model_name=name,
        version=0,
        model_type=family.model_type,
        options=options,
        label=None,
        label_type=None,
        classes=None,
        features=features or [],
        eval_rows=eval_rows,
        dropped_rows=dropped_rows,
        metrics=measured or {},
        eval_predictions=b"",
        artifact_format=family.artifact_format,
        **fields,
    )


def _imported(
    ctx: MLContext, statement: CreateModel, family: Family, qualified: tuple[str, str], options: dict
) -> ModelVersion:
    """An imported model (model_type='onnx'): the version holding the file at model_path, where this
    connection may read (checked by onnx, ONNX Runtime and sqlml's limits; its external data stored inline)."""
    if statement.query_sql is not None or statement.args.get("transform"):
        raise ProgrammingError(
            f"CREATE MODEL with model_type='{family.model_type}' takes no AS query or TRANSFORM: "
            "the file at model_path is the model"
        )
    path = options["model_path"]
    estimator = family.import_from(ctx.model_file(path), path)
    data = estimator.artifact()
    return _unlabelled(
        family,
        qualified,
        options,
        training_sql=f"-- imported from {path}",
        training_rows=0,
        data_fingerprint=hashlib.sha256(data).hexdigest()[:16],
        artifact=data,
    )

"""ML.MODEL_CARD(MODEL m [VERSION n] [, TABLE t | (query)] [, STRUCT(format, sensitive_feature)]): a model
card (Mitchell et al., "Model Cards for Model Reporting", FAT* 2019) for one version of a model. sqlml's
own function: BigQuery ML has no equivalent.

Output: one row, one VARCHAR column `model_card`: Markdown (`format` 'markdown', the default) or a
self-contained HTML page ('html') that adds inline SVG plots: the ROC curve of a binary classifier (on the
rows given, else on the evaluation split) and a bar chart of feature importance.

Sections, each from the ML function that reports it (run through SQL, as a user would):
1. Overview: name, version, model type (and AutoML's winner), creation time, the description and labels
   of ALTER MODEL ... SET OPTIONS, the label predicted.
2. Specification: inputs with their training statistics (ML.FEATURE_INFO), ML.PREDICT's output columns,
   classes, preprocessing (the fitted TRANSFORM clause and the automatic preprocessing), the options.
3. Training data and lineage: training SQL, rows (training / evaluation / dropped), data fingerprint, where it trained.
4. Intended use and limitations: the description, and what the model cannot know.
5. Metrics: those of the evaluation split stored at training; with input, also ML.EVALUATE on it.
6. Explanations: ML.FEATURE_IMPORTANCE (trees) or ML.WEIGHTS, standardized (linear and logistic models).
7. Fairness: with input and `sensitive_feature`, ML.FAIRNESS per group and its disparities.
8. Error slices: with input, ML.ERROR_SLICES on it (models with a label).
9. Version history: ML.VERSIONS.

A forecasting model's card (ARIMA_PLUS, ARIMA_PLUS_XREG) keeps 1, 3 and 9 and has its own Specification,
Intended use, Metrics, Forecast and Explanations (forecast_card.py).

The card is gathered once as a `Card` (sections of paragraphs, bullet lists, tables, code and plots) and
rendered by card_render.py's `markdown` or `html_page`; EXPORT MODEL writes the same card with a section of
its own (export/sidecars.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pyarrow as pa
from sqlglot import exp

from sqlml.engine import compute
from sqlml.engine.context import MLContext
from sqlml.engine.data.features import spec_leaves
from sqlml.engine.functions.card_render import (
    Bars,
    Card,
    Code,
    Curve,
    Section,
    Table,
    category_of,
    html_page,
    markdown,
    text_of,
)
from sqlml.engine.functions.predict import output_fields
from sqlml.engine.sqltext.quoting import literal, quote_identifier
from sqlml.engine.store import catalog
from sqlml.engine.store.model import Model
from sqlml.errors import NotSupportedError
from sqlml.parser import MLFunction

DISPARITIES = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
)  # ML.FAIRNESS's columns set on the __OVERALL__ row only
Run = Callable[..., pa.Table]  # run("FN", *args): SELECT * FROM ML.FN(MODEL <the card's>, *args)


def model_card(ctx: MLContext, call: MLFunction, model: Model, params: dict) -> pa.Table:
    form, given = params["format"], None
    if call.input_sql is not None:
        given = f"TABLE {call.input_sql}" if isinstance(call.args["input"], exp.Table) else f"({call.input_sql})"
    card = build(ctx, model, given, params.get("sensitive_feature"), plots=form == "html")
    return pa.table({"model_card": [markdown(card) if form == "markdown" else html_page(card)]})


def build(
    ctx: MLContext, model: Model, given: str | None = None, sensitive_feature: str | None = None, plots: bool = False
) -> Card:
    """The card of `model`'s version; `given` is an ML function's input argument (TABLE t or (query));
    `plots` adds the ROC curve (the bar chart costs nothing)."""
    version = model.version
    if model.family.imported:
        raise NotSupportedError(
            f"ML.MODEL_CARD needs a model sqlml trained; {version.qualified_name} is an imported ONNX model"
        )
    reference = f"MODEL {quote_identifier(version.schema_name)}.{quote_identifier(version.model_name)}"

    def run(function: str, *args: str, versioned: bool = True, where: str | None = None) -> pa.Table:
        """SELECT * FROM ML.<function>(this model [at this version], args...) [WHERE where]."""
        head = reference + (f" VERSION {version.version}" if versioned else "")
        condition = f" WHERE {where}" if where else ""
        return ctx.read_table(f"SELECT * FROM ML.{function}({', '.join([head, *args])}){condition}")

    description, labels = catalog.description(ctx.cur, version.schema_name, version.model_name)
    if model.family.forecasting:
        from sqlml.engine.functions import forecast_card

        if sensitive_feature is not None:
            raise NotSupportedError(
                "ML.MODEL_CARD's sensitive_feature needs a model with a label, not a forecasting one"
            )
        sections = [
            _overview(model, description, labels),
            forecast_card.specification(model),
            _lineage(model),
            forecast_card.intended_use(model, description),
            *forecast_card.results(model, run, given, plots),
            _history(run("VERSIONS", versioned=False)),
        ]
        return Card(f"Model card: {version.qualified_name} (version {version.version})", sections)
    sections = [
        _overview(model, description, labels),
        _specification(model, run("FEATURE_INFO")),
        _lineage(model),
        _intended_use(model, description),
        _metrics(model, run, given, plots),
        _explanations(model, run),
        _fairness(model, run, given, sensitive_feature),
        _error_slices(model, run, given),
        _history(run("VERSIONS", versioned=False)),
    ]
    return Card(f"Model card: {version.qualified_name} (version {version.version})", sections)


def _kind(model: Model) -> str:
    version = model.version
    if version.estimator_type and version.estimator_type != version.model_type:
        return f"{version.model_type} (AutoML winner: {version.estimator_type})"
    return version.model_type


def _overview(model: Model, description: str | None, labels: dict) -> Section:
    version = model.version
    facts = [
        f"Model: {version.qualified_name}",
        f"Version: {version.version}",
        f"Model type: {_kind(model)}",
        f"Created: {text_of(version.created_at)}",
    ]
    if version.label:
        facts.append(f"Predicts: {version.label} ({version.label_type})")
    facts.append("Labels: " + (", ".join(f"{k} = {v}" for k, v in labels.items()) if labels else "none"))
    summary = description or "No description: set one with ALTER MODEL ... SET OPTIONS (description = '...')."
    return Section("Overview", [summary, facts])


def _specification(model: Model, info: pa.Table) -> Section:
    version = model.version
    types = {leaf["name"]: spec.get("type", spec["kind"]) for spec in model.encoder.specs for leaf in spec_leaves(spec)}
    kept = [name for name in info.column_names if info[name].null_count < len(info)]  # drop empty statistics
    inputs = Table(
        ["input", "type", *kept[1:]],
        [[row["input"], types.get(row["input"]), *(row[c] for c in kept[1:])] for row in info.to_pylist()],
    )
    blocks = [
        "Inputs, with their statistics on the training rows (ML.FEATURE_INFO):",
        inputs,
        "ML.PREDICT adds: " + ", ".join(f"{f.name} ({f.type})" for f in output_fields(model)) + ".",
    ]
    if model.is_classifier:
        blocks.append("Classes, in the order of the probabilities: " + ", ".join(map(text_of, version.classes)) + ".")
    if model.transform is not None:
        blocks += [
            "Preprocessing: the TRANSFORM clause, with the statistics fitted at training:",
            Code(
                "TRANSFORM(\n"
                + ",\n".join(f"  {o['sql']} AS {quote_identifier(o['name'])}" for o in model.transform.outputs)
                + "\n)"
            ),
            "then the automatic preprocessing of its outputs:",
        ]
    else:
        blocks.append("Preprocessing: automatic, with the statistics learned at training:")
    blocks.append(_automatic(model))
    blocks += options_table(version.options)
    return Section("Specification", blocks)


def options_table(options: dict) -> list:
    """The options set (defaults filled in), each exactly: a float's repr, not rounded as other numbers are."""
    shown = {k: v for k, v in options.items() if v is not None}
    return [
        "Options (defaults filled in):",
        Table(["option", "value"], [[k, repr(v) if isinstance(v, float) else v] for k, v in shown.items()]),
    ]


_CATEGORIES = {  # category_encoding_method: how the card describes it
    "ONE_HOT_ENCODING": "one-hot over the training categories; NULL is a category of its own, an unseen "
    "category is all zeros",
    "DUMMY_ENCODING": "one-hot over the training categories but the most frequent one (all zeros, as an "
    "unseen category); NULL is a category of its own",
    "LABEL_ENCODING": "label-encoded by position in the sorted training categories; NULL and unseen categories are 0",
    "TARGET_ENCODING": "replaced by the training label's mean over the category's rows (the positive "
    "class's share for a classifier); NULL by its own, an unseen category by the overall mean",
}


def _automatic(model: Model) -> list[str]:
    encoder = model.encoder
    scaled = "standardized, (x - mean) / std" if encoder.scale else "left unscaled"
    return [
        f"numbers: NULL read as the training mean, then {scaled}"
        if encoder.linear
        else "numbers: NULL read as the training mean, otherwise raw",
        f"strings, booleans, dates, times: {_CATEGORIES[model.family.category_encoding(model.version.options)]}",
        "timestamps, structs, lists: see docs/model_types.md, Automatic preprocessing",
    ]


def _lineage(model: Model) -> Section:
    version = model.version
    return Section(
        "Training data and lineage",
        [
            "Training query:",
            Code(version.training_sql.strip()),
            [
                f"Rows: {version.training_rows} training, {version.eval_rows} evaluation, {version.dropped_rows} "
                "dropped (NULL label)",
                f"Data fingerprint (row count and order-independent hash): {version.data_fingerprint}",
                f"Trained: {compute.described(version.compute)}",
            ],
        ],
    )


def _intended_use(model: Model, description: str | None) -> Section:
    unseen = (
        "weigh nothing (all-zero one-hot)"
        if model.encoder.linear
        else "read as the overall training mean"
        if model.family.category_encoding(model.version.options) == "TARGET_ENCODING"
        else "read as missing (code 0)"
    )
    limits = [
        f"It has only seen rows like those of its training query ({model.version.training_rows} rows): "
        "rows from another population, period or source may be served worse than the metrics say.",
        f"Categories unseen at training {unseen}.",
        "A NULL number is read as its training mean, so rows with many NULLs are scored as average rows.",
    ]
    if model.is_classifier:
        limits.append("Probabilities are the model's scores, not calibrated frequencies.")
    return Section("Intended use and limitations", [intended_use(description), "Limitations:", limits])


def intended_use(description: str | None) -> str:
    if description:
        return f"Intended use, as described: {description}"
    return "No intended use was recorded; describe it with ALTER MODEL ... SET OPTIONS (description = '...')."


def _metrics(model: Model, run: Run, given: str | None, plots: bool) -> Section:
    version = model.version
    split = (
        f"the evaluation split ({version.eval_rows} rows)"
        if version.eval_rows
        else f"the training rows ({version.training_rows}; there was no evaluation split)"
    )
    stored = version.metrics or {}
    if given is None:
        blocks = [f"On {split}, computed at training:", Table(["metric", "value"], [[k, v] for k, v in stored.items()])]
    else:
        on_input = run("EVALUATE", given).to_pylist()[0]
        names = list(dict.fromkeys([*stored, *on_input]))
        blocks = [
            f"Column 'stored': on {split}, computed at training; 'input': ML.EVALUATE on {given}.",
            Table(["metric", "stored", "input"], [[k, stored.get(k), on_input.get(k)] for k in names]),
        ]
    if plots and model.is_classifier and len(model.classes) == 2:
        roc = run("ROC_CURVE", *[given] if given else []).to_pylist()
        points = [
            (r["false_positive_rate"], r["recall"])
            for r in roc
            if r["false_positive_rate"] is not None and r["recall"] is not None
        ]  # undefined: no such rows
        blocks.append(
            Curve(
                f"ROC curve (ML.ROC_CURVE on {given or split})",
                "false positive rate",
                "recall",
                [(1.0, 1.0), *points, (0.0, 0.0)],
            )
        )
    return Section("Metrics", blocks)


def _explanations(model: Model, run: Run) -> Section:
    if model.family.importance == "splits":
        table = run("FEATURE_IMPORTANCE")
        rows = sorted(table.to_pylist(), key=lambda r: -(r["importance_gain"] or 0.0))
        return Section(
            "Explanations",
            [
                "Feature importance (ML.FEATURE_IMPORTANCE): splits on each input, their average gain and cover.",
                Table(table.column_names, [list(r.values()) for r in rows]),
                Bars(
                    "Average gain of the splits on each input (importance_gain)",
                    [r["feature"] for r in rows],
                    [r["importance_gain"] or 0.0 for r in rows],
                ),
            ],
        )
    if model.family.importance == "weights":
        table = run("WEIGHTS", "STRUCT(TRUE AS standardize)")
        rows = table.to_pylist()
        size: dict[str, float] = {}
        for row in rows:
            if row["processed_input"] != "__INTERCEPT__":
                values = (
                    [row["weight"]] if row["weight"] is not None else [c["weight"] for c in row["category_weights"]]
                )
                size[row["processed_input"]] = max([size.get(row["processed_input"], 0.0), *map(abs, values)])
        ranked = sorted(size, key=lambda name: -size[name])
        for row in rows:
            row["category_weights"] = ", ".join(
                f"{category_of(c['category'])}: {text_of(c['weight'])}" for c in row["category_weights"]
            )
        return Section(
            "Explanations",
            [
                "Weights (ML.WEIGHTS, standardized: per standard deviation of a number, per category of a category):",
                Table(table.column_names, [list(r.values()) for r in rows]),
                Bars(
                    "|weight| of each input (the largest over its categories and classes)",
                    ranked,
                    [size[name] for name in ranked],
                ),
            ],
        )
    return Section("Explanations", [f"sqlml reports no feature importance or weights for {_kind(model)} models."])


def _fairness(model: Model, run: Run, given: str | None, sensitive_feature: str | None) -> Section:
    if sensitive_feature is None:
        return Section(
            "Fairness",
            [
                "Not computed: ML.MODEL_CARD(MODEL m, TABLE t | (query), STRUCT('col' AS "
                "sensitive_feature)) adds ML.FAIRNESS on those rows, grouped by column col."
            ],
        )
    table = run("FAIRNESS", given, f"STRUCT({literal(sensitive_feature)} AS sensitive_feature)")
    rows = table.to_pylist()
    per_group = [c for c in table.column_names[1:] if c not in DISPARITIES]
    overall = next(r for r in rows if r["group"] == "__OVERALL__")
    disparities = [f"{c}: {text_of(overall[c])}" for c in DISPARITIES if overall[c] is not None]
    return Section(
        "Fairness",
        [
            f"ML.FAIRNESS on {given}, by the groups of column {sensitive_feature} (__OVERALL__: all rows):",
            Table(per_group, [[category_of(r[c]) if c == "group" else r[c] for c in per_group] for r in rows]),
            *([disparities] if disparities else []),
        ],
    )


def _error_slices(model: Model, run: Run, given: str | None) -> Section:
    if not model.family.supervised:
        return Section("Error slices", ["Not applicable: the model has no label."])
    if given is None:
        return Section(
            "Error slices",
            [
                "Not computed: ML.MODEL_CARD(MODEL m, TABLE t | (query)) adds "
                "ML.ERROR_SLICES on those rows, the slices where the model errs most."
            ],
        )
    table = run("ERROR_SLICES", given)
    if not len(table):
        return Section("Error slices", [f"ML.ERROR_SLICES on {given}: no slice errs significantly more than the rest."])
    return Section(
        "Error slices",
        [
            f"ML.ERROR_SLICES on {given}: the slices where the model errs most.",
            Table(table.column_names, [list(r.values()) for r in table.to_pylist()]),
        ],
    )


def _history(versions: pa.Table) -> Section:
    rows = [
        [
            r["version"],
            r["created_at"],
            r["active"],
            r["training_rows"],
            ", ".join(f"{k} {text_of(v)}" for k, v in json.loads(r["metrics"]).items()),
        ]
        for r in versions.to_pylist()
    ]
    return Section(
        "Version history",
        ["ML.VERSIONS:", Table(["version", "created_at", "active", "training_rows", "metrics"], rows)],
    )

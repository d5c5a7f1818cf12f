"""EXPORT MODEL's OPTIONS: their types, bounds and defaults, and validation."""

from __future__ import annotations

from typing import Any

from sqlml.engine.families.options import Option, coerce
from sqlml.engine.store.files import local_path
from sqlml.errors import ProgrammingError

EXPORT_OPTIONS: dict[str, Option] = {  # uri is required (default None)
    "uri": Option("str"),
    "quantize": Option("enum", ("NONE", "INT8", "FLOAT16", "AUTO", "INT16"), default="NONE"),
    "version": Option("int", low=1, default=0),  # 0: the active version
    "trial_id": Option("int", low=1),  # a tuned model's trial (None: the version's own model, the optimal trial's)
    "target_opset": Option("int", low=21, high=23, default=21),
    "overwrite": Option("bool", default=False),
    "max_metric_drop": Option("float", low=0.0),  # None: the quantize default (see export/verify.py)
    "format": Option("enum", ("ONNX", "SQL", "C"), default="ONNX"),
    "dialect": Option("str", default="duckdb"),  # format='sql' only (export/sql.py)
    "input": Option("str", default="input"),  # format='sql' only
    "prefix": Option("str"),  # format='c' only: the names of the header's types and functions (default: the model's)
}
FORMAT_OPTIONS = {  # the options only some formats take
    "ONNX": ("quantize", "trial_id", "target_opset", "max_metric_drop"),
    "SQL": ("dialect", "input"),
    "C": ("quantize", "trial_id", "max_metric_drop", "prefix"),
}
QUANTIZE = {"ONNX": ("NONE", "INT8", "FLOAT16", "AUTO"), "C": ("NONE", "INT16", "INT8")}


def validate_export_options(raw: dict[str, Any]) -> dict[str, Any]:
    """Validate EXPORT MODEL options (keys already lower-cased) and fill in defaults."""
    for name in raw:
        if name not in EXPORT_OPTIONS:
            raise ProgrammingError(
                f"OPTIONS: unknown EXPORT MODEL option {name!r}; valid options: " + ", ".join(EXPORT_OPTIONS)
            )
    if not isinstance(raw.get("uri"), str) or not raw["uri"]:
        raise ProgrammingError(
            "OPTIONS: EXPORT MODEL needs uri='path/model.onnx', the file to write, or uri='path/', a directory"
        )
    local_path("uri", raw["uri"])
    options = {}
    for name, spec in EXPORT_OPTIONS.items():
        value = raw.get(name)
        options[name] = spec.default if value is None else coerce(name, spec, value)
    chosen = options["format"]
    own = {name for names in FORMAT_OPTIONS.values() for name in names} - set(FORMAT_OPTIONS[chosen])
    misplaced = [name for name in raw if name in own]
    if misplaced:
        raise ProgrammingError(f"OPTIONS: {', '.join(misplaced)} do(es) not apply to format='{chosen.lower()}'")
    if chosen in QUANTIZE and options["quantize"] not in QUANTIZE[chosen]:
        raise ProgrammingError(
            f"OPTIONS: quantize='{options['quantize'].lower()}' does not apply to format='{chosen.lower()}'; valid "
            "values: " + ", ".join(f"'{q.lower()}'" for q in QUANTIZE[chosen])
        )
    return options

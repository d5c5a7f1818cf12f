"""EXPORT MODEL's OPTIONS: their types, defaults and validation (the parser reads them as written)."""

from __future__ import annotations

from typing import Any

from sqlml.errors import ProgrammingError
from sqlml.parser.options import Option
from sqlml.parser.options import _coerce as coerce

EXPORT_OPTIONS: dict[str, tuple[Option, Any]] = {  # name -> (spec, default; None for "required")
    "uri": (Option("str"), None),
    "quantize": (Option("enum", ("NONE", "INT8", "FLOAT16", "AUTO")), "NONE"),
    "version": (Option("int", low=1), 0),  # 0: the active version
    "target_opset": (Option("int", low=21, high=23), 21),
    "overwrite": (Option("bool"), False),
    "max_metric_drop": (Option("float", low=0.0), None),  # None: the quantize default (see export/verify.py)
}


def validate_export_options(raw: dict[str, Any]) -> dict[str, Any]:
    """Validate EXPORT MODEL options (keys already lower-cased) and fill in defaults."""
    for name in raw:
        if name not in EXPORT_OPTIONS:
            raise ProgrammingError(f"OPTIONS: unknown EXPORT MODEL option {name!r}; valid options: "
                                   + ", ".join(EXPORT_OPTIONS))
    if not isinstance(raw.get("uri"), str) or not raw["uri"]:
        raise ProgrammingError("OPTIONS: EXPORT MODEL needs uri='path/model.onnx', the file to write")
    options = {}
    for name, (spec, default) in EXPORT_OPTIONS.items():
        value = raw.get(name)
        options[name] = default if value is None else coerce(name, spec, value)
    return options

"""Option specs and their validation: each family declares its options (engine/families/<family>.py), this
module checks values against them.

Names, defaults and ranges follow BigQuery ML's CREATE MODEL documentation: the page of each model type
(https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-boosted-tree, ...), the
ranges of the hyperparameter tuning overview (https://cloud.google.com/bigquery/docs/hp-tuning-overview) and
NUM_TRIALS' (https://cloud.google.com/bigquery-ml/docs/reference/standard-sql/bigqueryml-hyperparameter-tuning).
Where BigQuery ML sets no upper bound, sqlml sets one, so that no single option makes training run for hours
or exhaust memory. Option names are case-insensitive; enum values are upper-cased. `validate` returns a
complete, typed dict (defaults filled in) or raises ProgrammingError naming the option at fault and listing
the valid ones for that model_type.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from sqlml.errors import ProgrammingError, did_you_mean
from sqlml.parser.nodes import python_value, unnamed_fields

if TYPE_CHECKING:
    from sqlml.engine.families.base import Family


@dataclass(frozen=True)
class Option:
    """One option: its value type ('int', 'float', 'bool', 'str', 'enum', 'str_list', 'int_list', 'enum_list',
    'weights', 'names' (a column or an array of them), 'enum_set' (one or an array of choices), 'int_triple', 'parts' (per
    part of a wide-and-deep model)),
    allowed enum values or numeric bounds (inclusive unless `open_low` / `open_high`), its default,
    and whether HPARAM_RANGE / HPARAM_CANDIDATES may give it (what a trial may change without changing the
    data, the features or the search itself)."""

    kind: str
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False
    default: Any = None
    tunable: bool = True


def fail(name: str, expected: str, value: Any) -> ProgrammingError:
    shown = value.sql() if isinstance(value, exp.Expression) else repr(value)  # SQL as written, not a node's repr
    return ProgrammingError(f"OPTIONS: {name} must be {expected}, got {shown}")


def coerce(name: str, spec: Option, value: Any) -> Any:
    """Check one value against its spec and return it in canonical form."""
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise fail(name, "TRUE or FALSE", value)
        return value
    if spec.kind in ("int", "float"):
        return _number(name, spec, value)
    if spec.kind in ("str", "enum"):
        if not isinstance(value, str):
            raise fail(name, "a string", value)
        if spec.kind == "enum":
            if value.upper() not in spec.choices:
                raise fail(name, "one of " + ", ".join(spec.choices), value)
            return value.upper()
        return value
    if spec.kind == "int_list":
        if not (isinstance(value, list) and value):
            raise fail(name, "a non-empty array of integers, e.g. [64, 32]", value)
        return [coerce(f"{name}[{i}]", Option("int", low=spec.low, high=spec.high), v) for i, v in enumerate(value)]
    if spec.kind == "enum_list":
        value = [value] if isinstance(value, str) else value  # BigQuery ML's pages also write one as a string
        if not (
            isinstance(value, list)
            and len(value) == 1
            and isinstance(value[0], str)
            and value[0].lower() in spec.choices
        ):
            raise fail(name, "an array of one of " + ", ".join(spec.choices), value)
        return [value[0].lower()]
    if spec.kind == "names":  # a column name or an array of them
        names = [value] if isinstance(value, str) else value
        if not (isinstance(names, list) and names and all(isinstance(n, str) for n in names)):
            raise fail(name, "a column name or an array of them, e.g. ['a', 'b']", value)
        return names
    if spec.kind == "enum_set":  # one value or an array of them
        items = [value] if isinstance(value, str) else value
        if not (isinstance(items, list) and items and all(isinstance(v, str) for v in items)):
            raise fail(name, "a string or an array of them", value)
        unknown = [v for v in items if v.upper() not in spec.choices]
        if unknown:
            raise fail(name, "one or an array of " + ", ".join(spec.choices), unknown[0])
        return list(dict.fromkeys(v.upper() for v in items))
    if spec.kind == "int_triple":
        if not (isinstance(value, tuple) and len(value) == 3 and all(type(v) is int for v in value)):
            raise fail(name, "three integers (p, d, q), e.g. (1, 1, 1)", value)
        return list(value)
    if spec.kind == "parts":
        return _parts(name, spec, value)
    if spec.kind == "str_list":
        if not (isinstance(value, list) and len(value) == 1 and isinstance(value[0], str)):
            raise fail(name, "an array of one column name, e.g. ['label']", value)
        return value
    return _weights(name, value)


def _number(name: str, spec: Option, value: Any) -> int | float:
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not numeric or (spec.kind == "int" and not float(value).is_integer()):
        raise fail(name, "an integer" if spec.kind == "int" else "a number", value)
    value = int(value) if spec.kind == "int" else float(value)
    too_low = spec.low is not None and (value <= spec.low if spec.open_low else value < spec.low)
    too_high = spec.high is not None and (value >= spec.high if spec.open_high else value > spec.high)
    if too_low or too_high:
        low = "" if spec.low is None else f"{'>' if spec.open_low else '>='} {spec.low:g}"
        high = "" if spec.high is None else f"{'<' if spec.open_high else '<='} {spec.high:g}"
        raise fail(name, "a number " + " and ".join(filter(None, (low, high))), value)
    return value


PARTS = ("dnn", "linear")  # the parts of a wide-and-deep model


def _parts(name: str, spec: Option, value: Any) -> list:
    """A value for both parts of a wide-and-deep model, or [STRUCT('dnn', value), STRUCT('linear', value)] (a part
    left out keeps its default): [['dnn', value], ['linear', value]]. Values are floats with the spec's bounds,
    or one of its choices."""
    item = Option("enum", spec.choices) if spec.choices else Option("float", low=spec.low, open_low=spec.open_low)
    if not isinstance(value, list):
        return [[part, coerce(name, item, value)] for part in PARTS]
    given: dict[str, Any] = {}
    for pair in value:
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and str(pair[0]).lower() in PARTS):
            raise fail(name, "a value or an array of STRUCT(part, value) with part 'dnn' or 'linear'", value)
        part = pair[0].lower()
        if part in given:
            raise ProgrammingError(f"OPTIONS: {name} gives the {part} part twice")
        given[part] = coerce(f"{name} of the {part} part", item, pair[1])
    return [[part, given.get(part, default)] for part, default in spec.default]


def _weights(name: str, value: Any) -> list:
    """[STRUCT('label', weight), ...], which arrives as a list of (label, weight) pairs."""
    if not (
        isinstance(value, list)
        and value
        and all(
            isinstance(pair, (list, tuple))
            and len(pair) == 2
            and isinstance(pair[1], (int, float))
            and not isinstance(pair[1], bool)
            and math.isfinite(pair[1])
            and pair[1] >= 0
            for pair in value
        )
        and any(pair[1] > 0 for pair in value)
    ):
        raise fail(name, "an array of STRUCT(label, weight) with finite weights >= 0, not all 0", value)
    return [[label, float(weight)] for label, weight in value]


def search_spaces(options: dict[str, Any]) -> dict[str, dict]:
    """The options given as HPARAM_RANGE / HPARAM_CANDIDATES: {"hparam_range": [low, high]} or
    {"hparam_candidates": [...]}."""
    return {k: v for k, v in options.items() if isinstance(v, dict) and set(v) & {"hparam_range", "hparam_candidates"}}


def _search_space(name: str, spec: Option, node: exp.Anonymous) -> dict:
    function, args = node.name.upper(), [python_value(a) for a in node.expressions]
    if not spec.tunable or spec.kind in ("str", "str_list", "weights"):
        raise ProgrammingError(f"OPTIONS: {name} cannot be tuned with {function}")
    if function == "HPARAM_RANGE":
        if spec.kind not in ("int", "float"):
            takes = (
                "TRUE or FALSE"
                if spec.kind == "bool"
                else "one of " + ", ".join(spec.choices)
                if spec.choices
                else "a list"
            )
            raise ProgrammingError(
                f"OPTIONS: HPARAM_RANGE applies to numeric options; {name} takes {takes}: use HPARAM_CANDIDATES"
            )
        if len(args) != 2:
            raise ProgrammingError(f"OPTIONS: {name} = HPARAM_RANGE(min, max) takes two numbers")
        low, high = (coerce(name, spec, v) for v in args)
        if low > high:
            raise ProgrammingError(f"OPTIONS: {name} = HPARAM_RANGE({low}, {high}): min is above max")
        return {"hparam_range": [low, high]}
    if len(args) != 1 or not isinstance(args[0], list) or not args[0]:
        raise ProgrammingError(f"OPTIONS: {name} = HPARAM_CANDIDATES([...]) takes a non-empty array")
    return {"hparam_candidates": [coerce(name, spec, _candidate(v)) for v in args[0]]}


def _candidate(value: Any) -> Any:
    """A candidate as BigQuery ML may write it: hidden_units' STRUCT([8, 16]) is [8, 16]."""
    fields = unnamed_fields(value) if isinstance(value, exp.Struct) else None
    return python_value(fields[0]) if fields and len(fields) == 1 else value


def validate(family: Family, raw: dict[str, Any]) -> dict[str, Any]:
    """CREATE MODEL options (keys already lower-cased) of a `family` model, checked against its option specs
    and combination rules, its defaults filled in."""
    model_type, specs = family.model_type, family.options
    options = {"model_type": model_type, **family.defaults()}
    for name, value in raw.items():
        if name == "model_type":
            continue
        if name not in specs:
            raise ProgrammingError(
                f"OPTIONS: unknown option {name!r} for model_type {model_type}."
                f"{did_you_mean(name, specs)} Valid options: {', '.join(['model_type', *sorted(specs)])}"
            )
        if value is None and specs[name].default is not None:
            raise ProgrammingError(f"OPTIONS: {name} cannot be NULL (its default is {specs[name].default!r})")
        if isinstance(value, exp.Anonymous) and value.name.upper() in ("HPARAM_RANGE", "HPARAM_CANDIDATES"):
            options[name] = _search_space(name, specs[name], value)
        else:
            options[name] = None if value is None else coerce(name, specs[name], value)
    family.check(options)
    return options

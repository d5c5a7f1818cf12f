"""The registry of model families: one line per family module, each module defining its Family records
(FAMILIES). AutoML tries its candidates in this order."""

from __future__ import annotations

import importlib

from sqlml.engine.families.base import Estimator, Family, TrainData
from sqlml.engine.families.common import refuse_cloud_options
from sqlml.engine.families.options import validate
from sqlml.errors import ProgrammingError, did_you_mean

MODULES = (
    "boosted_tree",
    "linear",
    "random_forest",
    "dnn",
    "wide_and_deep",
    "automl",
    "kmeans",
    "pca",
    "autoencoder",
    "onnx_model",
    "transform_only",
    "arima_plus",
    "matrix_factorization",
)

FAMILIES: dict[str, Family] = {
    family.model_type: family
    for module in MODULES
    for family in importlib.import_module(f"sqlml.engine.families.{module}").FAMILIES
}


def validate_options(raw: dict) -> dict:
    """CREATE MODEL options (keys already lower-cased), validated by their model_type's family."""
    refuse_cloud_options(raw)
    if "model_type" not in raw:
        raise ProgrammingError("OPTIONS: model_type is required; valid model types: " + ", ".join(FAMILIES))
    model_type = raw["model_type"]
    if not isinstance(model_type, str) or model_type.lower() not in FAMILIES:
        from sqlml.parser.bigquery_only import refuse_model_type  # on this error path only: `import sqlml` skips it

        refuse_model_type(str(model_type))
        hint = did_you_mean(model_type, FAMILIES) if isinstance(model_type, str) else ""
        raise ProgrammingError(
            f"OPTIONS: unknown model_type {model_type!r}.{hint} Valid model types: " + ", ".join(FAMILIES)
        )
    return validate(FAMILIES[model_type.lower()], raw)


def option_names() -> set[str]:
    """Every CREATE MODEL option name (shell completion)."""
    return {"model_type", *(name for family in FAMILIES.values() for name in family.options)}


__all__ = ["FAMILIES", "Estimator", "Family", "TrainData", "option_names", "validate_options"]

"""automl_regressor / automl_classifier: a search over the families that propose AutoML candidates (their
`propose`), run by engine/training/automl.py; the version stores the winning family's model."""

from __future__ import annotations

from sqlml.engine.families.base import Family
from sqlml.engine.families.common import COMPUTE, SPLIT, data_split
from sqlml.engine.families.options import Option

OBJECTIVES = (
    "MAXIMIZE_AU_ROC",
    "MINIMIZE_LOG_LOSS",
    "MAXIMIZE_ACCURACY",
    "MAXIMIZE_F1_SCORE",
    "MINIMIZE_RMSE",
    "MINIMIZE_MAE",
    "MAXIMIZE_R2_SCORE",
)


def search(*args):
    """training/automl.py's search (imported when an AutoML model first trains)."""
    from sqlml.engine.training import automl

    return automl.search(*args)


OPTIONS = {
    **SPLIT,
    **COMPUTE,
    "budget_hours": Option("float", low=0.0, high=72.0, open_low=True, default=1.0),
    "optimization_objective": Option("enum", OBJECTIVES),
}
FAMILIES = (
    Family("automl_regressor", "regression", OPTIONS, rules=(data_split,), search=search),
    Family("automl_classifier", "classification", OPTIONS, rules=(data_split,), search=search),
)

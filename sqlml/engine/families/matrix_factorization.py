"""MATRIX_FACTORIZATION: users' ratings of items factorized by alternating least squares, for ML.RECOMMEND.

Options, defaults and ranges are BigQuery ML's
(https://cloud.google.com/bigquery/docs/reference/standard-sql/bigqueryml-syntax-create-matrix-factorization):
feedback_type EXPLICIT (ratings; ALS with a global, a per-user and a per-item intercept) or IMPLICIT (counts or
watch time; weighted ALS, confidence 1 + wals_alpha * rating, by the `implicit` library). CREATE MODEL trains it
on its own path (engine/recommend/training.py: a user, an item and a rating per row, not feature rows); the model
is one Arrow table of the factor vectors (engine/recommend/state.py).

Tuning (num_trials > 1) searches num_factors, l2_reg and (IMPLICIT) wals_alpha; with no HPARAM_RANGE /
HPARAM_CANDIDATES given, the page's default ranges: num_factors [2, 20] (at most the users' and the items' count),
l2_reg (0, 10] on a log scale (from 0.001), wals_alpha [0, 100]. Trials are compared by hparam_tuning_objectives:
EXPLICIT mean_squared_error only, IMPLICIT one of IMPLICIT_METRICS (default mean_average_precision).
"""

from __future__ import annotations

from sqlml.engine.families.base import Family
from sqlml.engine.families.common import COMPUTE, SPLIT, TUNING, data_split
from sqlml.engine.families.options import Option
from sqlml.errors import ProgrammingError

FEEDBACK_TYPES = ("EXPLICIT", "IMPLICIT")
DEFAULT_WALS_ALPHA = 40.0
MIN_FACTORS, MAX_FACTORS = 2, 200
# ML.EVALUATE's metrics of an IMPLICIT model (engine/recommend/scoring.py), its tuning objectives
IMPLICIT_METRICS = (
    "mean_average_precision",
    "mean_squared_error",
    "normalized_discounted_cumulative_gain",
    "average_rank",
)
SEARCH_SPACE = {  # the page's default ranges; wals_alpha's, IMPLICIT only, is IMPLICIT_SPACE
    "num_factors": {"hparam_range": [MIN_FACTORS, 20]},
    "l2_reg": {"hparam_range": [0.001, 10.0], "scale": "LOG"},
}
IMPLICIT_SPACE = {"wals_alpha": {"hparam_range": [0.0, 100.0]}}

OPTIONS = {
    **COMPUTE,
    "feedback_type": Option("enum", FEEDBACK_TYPES, default="EXPLICIT", tunable=False),
    # None: log2 of the training rows, within [2, 200] and at most the users' and the items' count
    "num_factors": Option("int", low=MIN_FACTORS, high=MAX_FACTORS),
    "user_col": Option("str", default="user", tunable=False),
    "item_col": Option("str", default="item", tunable=False),
    "rating_col": Option("str", default="rating", tunable=False),
    "wals_alpha": Option("float", low=0.0),  # IMPLICIT only; None: 40.0
    "l2_reg": Option("float", low=0.0, default=1.0),
    "max_iterations": Option("int", low=1, high=10_000, default=20, tunable=False),
    "early_stop": Option("bool", default=True, tunable=False),
    "min_rel_progress": Option("float", low=0.0, default=0.01, tunable=False),
    **{name: option for name, option in SPLIT.items() if name != "input_label_cols"},
    **TUNING,
    "hparam_tuning_objectives": Option("enum_list", IMPLICIT_METRICS, tunable=False),
}
OPTIONS["data_split_method"] = Option("enum", OPTIONS["data_split_method"].choices, default="NO_SPLIT", tunable=False)


def roles(options: dict) -> None:
    """wals_alpha weighs implicit feedback only; the user, item and rating columns are three columns."""
    if options["wals_alpha"] is not None and options["feedback_type"] != "IMPLICIT":
        raise ProgrammingError("OPTIONS: wals_alpha applies to feedback_type='IMPLICIT' only")
    names = [options[role].lower() for role in ("user_col", "item_col", "rating_col")]
    if len(set(names)) < 3:
        raise ProgrammingError(
            "OPTIONS: user_col, item_col and rating_col must name three different columns, got "
            + ", ".join(repr(options[role]) for role in ("user_col", "item_col", "rating_col"))
        )


def _load(data: bytes, n_classes: int):
    from sqlml.engine.recommend.state import RecommendModel

    return RecommendModel.load(data, n_classes)


FAMILIES = (
    Family(
        "matrix_factorization",
        "recommendation",
        OPTIONS,
        load=_load,
        artifact_format="arrow",
        rules=(data_split, roles),
        search_space=SEARCH_SPACE,
    ),
)

"""The Family record, and what every trainer receives and returns."""

from __future__ import annotations

import copy
import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from sqlml.engine.families.options import Option, search_spaces
from sqlml.engine.progress import Progress
from sqlml.engine.store.artifacts import expect, numbers
from sqlml.errors import ProgrammingError


@dataclass
class TrainData:
    """The encoded training (and evaluation) rows handed to a trainer.

    Classification labels are class indices 0..n_classes-1 (classes sorted ascending); `weights` carries
    auto_class_weights / class_weights as per-row sample weights.
    """

    X: np.ndarray
    y: np.ndarray
    options: dict[str, Any]
    n_classes: int = 0
    weights: np.ndarray | None = None
    X_eval: np.ndarray | None = None
    y_eval: np.ndarray | None = None
    categorical_indices: list[int] = field(default_factory=list)
    category_blocks: list[tuple[int, int]] = field(default_factory=list)  # one-hot categories: (first column, width)
    X_init: np.ndarray | None = None  # kmeans_init_method=CUSTOM: the rows marked as initial centroids
    init: Any = None  # warm_start: the estimator of the version training continues from
    history: list[dict] = field(default_factory=list)  # per iteration: loss, eval_loss, learning_rate, duration_ms
    progress: Progress = field(default_factory=Progress)  # told each iteration of an iterative trainer


FLOAT32_MAX = float(np.finfo(np.float32).max)  # scikit-learn's trees read float32
SAMPLE_ROWS = 10_000  # rows a loss or a metric is measured on when there are more


def training_sample(n_rows: int, seed: int) -> np.ndarray:
    """Sorted positions of up to SAMPLE_ROWS rows, seeded: all of them when there are no more."""
    if n_rows <= SAMPLE_ROWS:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(seed).choice(n_rows, SAMPLE_ROWS, replace=False))


def record_iteration(
    history: list[dict],
    started: float,
    loss: float | None,
    eval_loss: float | None = None,
    learning_rate: float | None = None,
    cluster_info: list[dict] | None = None,
) -> float:
    """Append one iteration's row to `history` (`cluster_info`: kmeans's clusters after it); returns the time it
    was recorded (the next one's start)."""
    now = time.perf_counter()
    row = {
        "iteration": len(history),
        "loss": None if loss is None else float(loss),
        "eval_loss": None if eval_loss is None else float(eval_loss),
        "learning_rate": learning_rate,
        "duration_ms": round((now - started) * 1000),
    }
    history.append(row if cluster_info is None else row | {"cluster_info": cluster_info})
    return now


class ScoreQuantiles:
    """The upper half of the distribution of an anomaly score over the training rows, from which
    ML.DETECT_ANOMALIES takes its thresholds: the quantiles at levels 0.5 .. 1 (the linear interpolation of
    numpy.quantile). Up to 2 * MAX_LEVELS + 1 rows they are every order statistic from the median up, so any
    level is exact; with more rows, MAX_LEVELS + 1 evenly spaced levels, interpolated between."""

    MAX_LEVELS = 5_000

    def __init__(self, levels: list[float], values: list[float]):
        self.levels = np.asarray(levels, dtype=np.float64)
        self.values = np.asarray(values, dtype=np.float64)

    @classmethod
    def of(cls, scores: np.ndarray) -> ScoreQuantiles:
        n = len(scores)
        if n <= 2 * cls.MAX_LEVELS + 1:
            median = (n - 1) // 2
            return cls(np.arange(median, n) / max(n - 1, 1), np.sort(scores)[median:])
        levels = np.linspace(0.5, 1.0, cls.MAX_LEVELS + 1)
        return cls(levels, np.quantile(scores, levels))

    def quantile(self, level: float) -> float:
        """The score at quantile `level` (0.5 <= level <= 1)."""
        return float(np.interp(level, self.levels, self.values))

    def state(self) -> dict:
        return {"levels": self.levels.tolist(), "values": self.values.tolist()}

    @classmethod
    def load(cls, state: dict | None) -> ScoreQuantiles | None:
        """The quantiles of a stored state (None when none was kept): levels and values alike long."""
        if state is None:
            return None
        levels = numbers(state["levels"], 1, "anomaly score levels")
        values = numbers(state["values"], 1, "anomaly scores")
        expect(len(values), len(levels), "the number of anomaly scores")
        return cls(levels, values)


class Estimator(Protocol):
    """A trained model: regression values (n,), class probabilities (n, n_classes), distances to
    centroids (n, n_clusters) or principal components (n, n_components)."""

    def predict(self, X: np.ndarray) -> np.ndarray: ...

    def artifact(self) -> bytes: ...


@dataclass(frozen=True)
class Family:
    """A model_type: its task, options and rules, how it trains, stores and loads, and what the ML functions and
    EXPORT MODEL can do with it. Each family module (linear.py, boosted_tree.py, ...) defines its records; the
    registry (families/__init__.py) lists the modules."""

    model_type: str
    # "regression", "classification", "clustering", "dimensionality_reduction", "autoencoder", "imported",
    # "transform", "forecasting" or "recommendation"
    task: str
    options: dict[str, Option]  # every option but model_type: its type, bounds and default
    fit: Callable[[TrainData], Estimator] | None = None  # None: imported, or searched (`search`)
    load: Callable[[bytes, int], Estimator] | None = None  # (artifact, n_classes) -> estimator
    artifact_format: str = ""
    # standardized numerics + one-hot categories (else raw + label encoding), unless a family's
    # category_encoding_method option says otherwise (see category_encoding)
    linear_encoding: bool = True
    max_classes: int = 0
    scale_option: str | None = None  # the BOOL option that can turn standardization off
    feature_limit: float = float(np.finfo(np.float64).max)  # the largest encoded value the estimator can read
    rules: tuple[Callable[[dict], None], ...] = ()  # combination rules, each raising ProgrammingError
    search_space: dict[str, dict] | None = None  # what num_trials > 1 searches when no HPARAM_* is given
    propose: Callable[[Any], dict] | None = None  # AutoML: an optuna trial -> hyperparameters (None: no candidate)
    import_from: Callable[[str, str], Estimator] | None = None  # an imported model: (path, as written) -> estimator
    search: Callable | None = None  # AutoML itself: picks the family and options that train (training/automl.py)
    warm_start_kept: tuple[str, ...] = ()  # options a warm start inherits from the version it continues
    warm_start_all_classes: bool = False  # a warm start needs rows of every class the model knows
    compile_sql: Callable | None = None  # ML.PREDICT as one SQL query (engine/compiled); None: streamed
    explainer: str | None = None  # ML.EXPLAIN_PREDICT's method: "tree_shap", "linear" or "sampled" (raw_scores)
    importance: str | None = None  # "splits" (ML.FEATURE_IMPORTANCE: estimator.splits()) or "weights" (ML.WEIGHTS)
    onnx_builder: str | None = None  # EXPORT MODEL's graph builder (export/estimators.py); None: not exported
    quantize: tuple[str, ...] = ()  # EXPORT MODEL quantize= values besides NONE that apply
    quantize_auto: str = "NONE"  # what quantize='auto' picks
    # its distributed trainer on a cluster (sqlml/cluster/training.py; "series": forecasting's groups of series,
    # sqlml/cluster/forecasting.py); None: local
    cluster_trainer: str | None = None

    @property
    def supervised(self) -> bool:
        return self.task in ("regression", "classification")

    @property
    def classifier(self) -> bool:
        return self.task == "classification"

    @property
    def clustering(self) -> bool:
        return self.task == "clustering"

    @property
    def reduces_dimensions(self) -> bool:
        return self.task == "dimensionality_reduction"

    @property
    def autoencodes(self) -> bool:
        return self.task == "autoencoder"

    @property
    def imported(self) -> bool:
        return self.task == "imported"

    @property
    def transform_only(self) -> bool:
        return self.task == "transform"

    @property
    def forecasting(self) -> bool:
        return self.task == "forecasting"

    @property
    def recommends(self) -> bool:
        return self.task == "recommendation"

    def scales(self, options: dict) -> bool:
        """Whether numeric features are standardized for a version trained with `options` (trees never are)."""
        return options[self.scale_option] if self.scale_option else self.linear_encoding

    def category_encoding(self, options: dict) -> str:
        """How a version trained with `options` encodes categories: its category_encoding_method, else the
        family's way (ONE_HOT_ENCODING or LABEL_ENCODING)."""
        return options.get("category_encoding_method") or (
            "ONE_HOT_ENCODING" if self.linear_encoding else "LABEL_ENCODING"
        )

    def one_hot(self, options: dict) -> bool:
        """Whether a version trained with `options` encodes categories one-hot (ONE_HOT or DUMMY_ENCODING)."""
        return self.category_encoding(options) in ("ONE_HOT_ENCODING", "DUMMY_ENCODING")

    def defaults(self) -> dict[str, Any]:
        """Every option's default, copied (a caller may change the lists it gets)."""
        return {name: copy.deepcopy(spec.default) for name, spec in self.options.items()}

    def check(self, options: dict[str, Any]) -> None:
        """The rules that involve more than one option; a search space is checked through its first value
        here, and each trial with its own."""
        tuned = search_spaces(options)
        if tuned and options.get("num_trials", 1) == 1:
            raise ProgrammingError(
                f"OPTIONS: a search space (HPARAM_RANGE / HPARAM_CANDIDATES) on {', '.join(tuned)} needs num_trials > 1"
            )
        first = {k: v.get("hparam_candidates", v.get("hparam_range"))[0] for k, v in tuned.items()}
        for rule in self.rules:
            rule({**options, **first})


def compiled_by(module: str) -> Callable:
    """ML.PREDICT's SQL compiler of engine/compiled/<module>.py, imported when first called."""

    def compile_sql(*args):
        return importlib.import_module(f"sqlml.engine.compiled.{module}").compile_predict(*args)

    return compile_sql

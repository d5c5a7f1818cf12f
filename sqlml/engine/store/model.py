"""A catalog version made ready to score: its feature encoder, estimator and output columns.

A session holds a ModelCache from its start: this module imports what scoring needs (numpy, pyarrow, the
families and their libraries) when a model is first loaded, not on `import sqlml`."""

from __future__ import annotations

import functools
import threading
import time
from typing import TYPE_CHECKING

from sqlml.engine.store import catalog, trials
from sqlml.engine.store.catalog import ModelVersion
from sqlml.errors import DataError, ProgrammingError

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa


class Model:
    """Scores Arrow batches exactly as the version was trained to."""

    def __init__(self, version: ModelVersion):
        self.version = version
        from sqlml.engine.store import artifacts

        self.compiled: dict[tuple, str | None] = {}  # ML.PREDICT's SQL by input (engine/linear_sql.cached)
        artifacts.verify(version)
        try:
            self._load(version)
        except Exception as exc:  # a damaged or tampered version must not half-load
            raise DataError(
                f"the stored artifact of model {version.qualified_name} version "
                f"{version.version} cannot be loaded safely: {exc}"
            ) from None

    def _load(self, version: ModelVersion) -> None:
        """The family, estimator, encoder, TRANSFORM and classes of a version, each checked against the
        others (artifacts.py) before the estimator's library and the encoder use them."""

        from sqlml.engine.data.features import FeatureEncoder
        from sqlml.engine.data.transform import Transform
        from sqlml.engine.families import FAMILIES
        from sqlml.engine.store import artifacts

        kind = version.estimator_type or version.model_type
        if kind not in FAMILIES or FAMILIES[kind].load is None:
            raise ValueError(f"model_type {kind!r} is unknown")
        self.family = FAMILIES[kind]  # AutoML: the winning family
        artifacts.check_schema(version, self.family.classifier, self.family.scale_option)
        self.estimator = self.family.load(version.artifact, len(version.classes or ()))
        if not (self.family.imported or self.family.transform_only or self.family.forecasting):  # an ONNX model
            # reads its own inputs; a transform_only model has no estimator (its features are the TRANSFORM's
            # inputs, for ML.FEATURE_INFO); a forecasting model reads series, not features
            artifacts.check_width(version.features, self.family.one_hot(version.options), self.estimator.n_features)
        self.encoder = FeatureEncoder(
            version.features,
            self.family.one_hot(version.options),
            self.family.scales(version.options),
            self.family.feature_limit,
        )
        self.transform = Transform.load(version.transform)

    @functools.cached_property
    def classes(self) -> pa.Array | None:
        """A classifier's classes as an Arrow array (built when first asked: building an Arrow array makes
        pyarrow import pandas, and SQL-compiled scoring needs none)."""
        import pyarrow as pa

        version = self.version
        return (
            None if version.classes is None else pa.array(version.classes, type=pa.type_for_alias(version.label_type))
        )

    @property
    def task(self) -> str:
        return self.family.task

    @property
    def is_classifier(self) -> bool:
        return self.version.classes is not None

    def input_sql(self, query: str, columns: list[str] | None, with_label: bool = False) -> str:
        """The query to read for this model: `query` itself, or with the TRANSFORM's outputs added
        (`columns`, the input's column names when known, are checked for what TRANSFORM reads)."""
        if self.transform is None:
            return query
        return self.transform.wrap(query, columns, with_label)

    def resolve(self, names: list[str]) -> dict[str, str]:
        """Feature -> the column of an input_sql() result (`names`) that carries it."""
        if self.family.imported:
            return self.estimator.resolve(names)
        if self.transform is None:
            return self.encoder.resolve(names)
        self.transform.check_names(names)
        return {spec["name"]: self.transform.internal(spec["name"]) for spec in self.encoder.specs}

    def internal_columns(self) -> set[str]:
        """The columns its TRANSFORM adds to an input for its own use, left out of every function's output."""
        return set(self.transform.internal_columns()) if self.transform else set()

    def label_column(self, names: list[str]) -> str | None:
        """The column of an input_sql(..., with_label=True) result holding the label, if any."""
        if self.transform is not None and self.transform.label is not None:
            return self.transform.internal(self.transform.label)
        from sqlml.engine.data.features import find_column

        return find_column(names, self.version.label)

    def features(self, batch: pa.RecordBatch | pa.Table, mapping: dict[str, str] | None = None):
        """What the estimator reads for the rows of `batch`: the feature matrix (an imported model: its
        input tensors)."""
        if self.family.imported:
            return self.estimator.feeds(batch, mapping or self.resolve(batch.schema.names))
        return self.encoder.transform(batch, mapping)

    def scores(self, batch: pa.RecordBatch | pa.Table, mapping: dict[str, str] | None = None) -> np.ndarray:
        """The estimator's scores (see families.base.Estimator) for the rows of `batch`."""
        return self.estimator.predict(self.features(batch, mapping))


class ModelCache:
    """The models a connection has loaded, by version identity, so a statement on a known version skips
    reading and parsing its artifact; and where each model name led (catalog.locate), by catalog generation,
    so a statement on an unchanged catalog asks it one tiny query (catalog.generation). Safe to share between
    threads (two that miss at once may both load a version; the last one's copy stays)."""

    SIZE = 32
    LOCATED = 1024

    def __init__(self):
        self._models: dict[tuple, tuple[tuple, Model]] = {}
        self._located: dict[tuple, tuple] = {}
        self._tracked: bool | None = None  # whether the catalog has generations (None: no catalog seen yet)
        self._lock = threading.Lock()  # the server's clients share one cache from their own threads

    def get(self, cur, name: tuple[str | None, str], version: int | None = None, trial_id: int | None = None) -> Model:
        """The model `name` (at `version`, else its active one; as its tuning trial `trial_id` left it),
        loaded once per version and trial."""
        schema, model, version, identity, expires = self.locate(cur, name, version)
        check_unexpired(f"{schema}.{model}", expires)
        key = (schema.lower(), model.lower(), version, trial_id)
        with self._lock:
            cached = self._models.get(key)
        if cached is not None and cached[0] == identity:
            return cached[1]
        record = catalog.load(cur, schema, model, version)  # outside the lock: other models stay available
        loaded = Model(record if trial_id is None else trials.load_trial(cur, record, trial_id))
        with self._lock:
            if key not in self._models and len(self._models) >= self.SIZE:
                self._models.pop(next(iter(self._models)))
            self._models[key] = (identity, loaded)
        return loaded

    def locate(
        self, cur, name: tuple[str | None, str], version: int | None = None
    ) -> tuple[str, str, int, tuple, int | None]:
        """catalog.locate's answer, asked again only when the catalog's generation (as `cur` sees it: its
        own uncommitted writes included) changed. A catalog of an older sqlml, not written before this cache
        first saw it, has no generation: it is asked every time."""
        tracked = self._tracked
        if tracked is None:
            if not catalog.exists(cur):
                raise ProgrammingError(f"model {catalog.resolve_name(cur, name)[0]}.{name[1]} does not exist")
            tracked = catalog.has_table(cur, "catalog_writes")
            if not catalog.in_transaction(cur):  # else the catalog may be the user's uncommitted work
                self._tracked = tracked
        if not tracked:
            return catalog.locate(cur, name, version, checksum=False, expiration=catalog.has_expiration(cur))
        key = (catalog.generation(cur), name[0] and name[0].lower(), name[1].lower(), version)
        with self._lock:
            found = self._located.get(key)
        if found is None:  # a catalog older than expirations gains them when next written (a new generation)
            found = catalog.locate(cur, name, version, expiration=catalog.has_expiration(cur))
            with self._lock:
                if len(self._located) >= self.LOCATED:
                    self._located.clear()
                self._located[key] = found
        return found


def check_unexpired(name: str, expires: int | None) -> None:
    """ProgrammingError naming the model and when it expired, once its expiration_timestamp (Unix microseconds)
    has passed."""
    import datetime

    if expires is not None and expires <= time.time() * 1e6:
        when = datetime.datetime.fromtimestamp(expires / 1e6, datetime.UTC)
        raise ProgrammingError(
            f"model {name} expired at {when:%Y-%m-%d %H:%M:%S} UTC (its expiration_timestamp) and can no longer "
            f"be used; ALTER MODEL ... SET OPTIONS (expiration_timestamp = ...) extends it, DROP MODEL deletes it"
        )


def predicted_labels(probabilities: np.ndarray, threshold: float | None) -> np.ndarray:
    """Class indices: the positive (higher) class when its probability exceeds `threshold` for a binary
    model, else the most probable class."""
    import numpy as np

    if threshold is not None and probabilities.shape[1] == 2:
        return (probabilities[:, 1] > threshold).astype(np.int64)
    return probabilities.argmax(axis=1)

"""A trained matrix factorization model: the users' and items' keys, factor vectors and intercepts, and the
global intercept, stored as one Arrow table (IPC stream, no pickle).

The table has a row per user, then a row per item: `user` (the user column's type, NULL on item rows), `item`
(the item column's type, NULL on user rows), `factors` (a fixed-size list of float64) and `intercept`. Its
schema metadata holds the feedback type, the three column names and the global intercept. A rating is
predicted as global intercept + user intercept + item intercept + user factors . item factors; an IMPLICIT
model's intercepts are all 0 (BigQuery ML's global__intercept__ of implicit models is 0).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from sqlml.engine.recommend.als import Factors


@dataclass
class RecommendModel:
    """The stored model (see the module's docstring); `users` and `items` are the keys, in id order."""

    feedback_type: str
    columns: dict[str, str]  # role ("user", "item", "rating") -> the column's name in the training query
    users: pa.Array
    items: pa.Array
    user_factors: np.ndarray  # (n_users, num_factors)
    item_factors: np.ndarray  # (n_items, num_factors)
    user_intercepts: np.ndarray
    item_intercepts: np.ndarray
    global_intercept: float

    n_features = 0  # it reads users and items, not encoded features

    @property
    def implicit(self) -> bool:
        return self.feedback_type == "IMPLICIT"

    @property
    def predicted_column(self) -> str:
        """BigQuery ML's name of the prediction: predicted_<rating_col>[_confidence]."""
        return f"predicted_{self.columns['rating']}" + ("_confidence" if self.implicit else "")

    def factors(self) -> Factors:
        return Factors(
            self.user_factors, self.item_factors, self.user_intercepts, self.item_intercepts, self.global_intercept
        )

    def predict(self, X: np.ndarray) -> np.ndarray:
        from sqlml.errors import NotSupportedError

        raise NotSupportedError("a matrix factorization model scores users and items: use ML.RECOMMEND")

    def artifact(self) -> bytes:
        n_users, n_items = len(self.users), len(self.items)
        k = self.user_factors.shape[1]
        factors = np.concatenate([self.user_factors, self.item_factors]).astype(np.float64).ravel()
        table = pa.table(
            {
                "user": pa.concat_arrays([self.users, pa.nulls(n_items, self.users.type)]),
                "item": pa.concat_arrays([pa.nulls(n_users, self.items.type), self.items]),
                "factors": pa.FixedSizeListArray.from_arrays(pa.array(factors), k),
                "intercept": pa.array(np.concatenate([self.user_intercepts, self.item_intercepts]), pa.float64()),
            }
        )
        described = {
            "feedback_type": self.feedback_type,
            "columns": self.columns,
            "global_intercept": self.global_intercept,
            "n_users": n_users,
        }
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema.with_metadata({"sqlml": json.dumps(described)})) as writer:
            writer.write_table(table)
        return sink.getvalue().to_pybytes()

    @classmethod
    def load(cls, data: bytes, n_classes: int = 0) -> RecommendModel:
        """The stored model, its layout checked before anything reads it."""
        if n_classes:
            raise ValueError("a matrix factorization model has no classes")
        table = pa.ipc.open_stream(data).read_all()
        described = json.loads(table.schema.metadata[b"sqlml"])
        n_users = described["n_users"]
        if table.column_names != ["user", "item", "factors", "intercept"]:
            raise ValueError(f"the stored factor table has columns {table.column_names}")
        if not pa.types.is_fixed_size_list(table.schema.field("factors").type) or not 0 < n_users < table.num_rows:
            raise ValueError("the stored factor table is not a user and item table of factor vectors")
        if described["feedback_type"] not in ("EXPLICIT", "IMPLICIT") or set(described["columns"]) != {
            "user",
            "item",
            "rating",
        }:
            raise ValueError("the stored description is not a matrix factorization model's")
        table = table.combine_chunks()
        k = table.schema.field("factors").type.list_size
        factors = table.column("factors").chunk(0).flatten().to_numpy().reshape(-1, k)
        intercepts = table.column("intercept").to_numpy()
        users, items = table.column("user").chunk(0)[:n_users], table.column("item").chunk(0)[n_users:]
        if users.null_count or items.null_count or not np.isfinite(factors).all():
            raise ValueError("the stored users, items or factors are incomplete")
        return cls(
            described["feedback_type"],
            described["columns"],
            users,
            items,
            factors[:n_users],
            factors[n_users:],
            intercepts[:n_users],
            intercepts[n_users:],
            float(described["global_intercept"]),
        )

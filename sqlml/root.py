"""The composition root: the engine's tables of statements and ML functions get what the layers above the
engine add. The engine never imports them; `import sqlml` runs this module before any Session exists, and
registering loads nothing of the layer above until one of its statements runs: EXPORT MODEL from export/, and
the Dask cluster a session opens (engine/compute.py) from cluster/."""

from sqlml.engine import compute
from sqlml.engine.model_statements import register

register("ExportModel", "sqlml.export.statement:export_statement")
compute.register("sqlml.cluster.connection:open_cluster")

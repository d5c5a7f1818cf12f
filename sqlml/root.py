"""The composition root: the engine's tables of statements and ML functions get what the layers above the
engine add. The engine never imports them; `import sqlml` runs this module before any Session exists."""

from sqlml.engine.model_statements import register
from sqlml.export.statement import export_statement
from sqlml.parser import ExportModel

register(ExportModel, export_statement)

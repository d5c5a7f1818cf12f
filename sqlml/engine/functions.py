"""The one table from ML function name to handler: handler(context, call) -> an Arrow relation."""

from sqlml.engine.evaluate import evaluate
from sqlml.engine.predict import predict

ML_FUNCTIONS = {
    "PREDICT": predict,
    "EVALUATE": evaluate,
}

"""BigQuery ML's model types, functions and CREATE MODEL forms that sqlml does not have, and the reason the
NotSupportedError for each gives (docs/bigquery.md's Status tables list them)."""

from __future__ import annotations

from sqlml.errors import NotSupportedError

_REMOTE = "it calls a remote model (Vertex AI or a Cloud AI API), a Google Cloud service sqlml does not reach"
_OBJECT_TABLES = "it reads images from object tables (Cloud Storage files), which sqlml does not have"
_IMPORTED = "sqlml imports models as ONNX: convert the model to ONNX and use model_type='onnx'"

MODEL_TYPES = {
    "contribution_analysis": "contribution analysis (ML.GET_INSIGHTS) is not implemented",
    "tensorflow": _IMPORTED,
    "tensorflow_lite": _IMPORTED,
    "xgboost": _IMPORTED,
}

FUNCTIONS = {
    "HOLIDAY_INFO": (
        "sqlml takes holiday_region's calendars from the holidays package rather than BigQuery's holiday table; "
        "ML.EXPLAIN_FORECAST shows each holiday's effect (holiday_effect_<name>)"
    ),
    "GET_INSIGHTS": "it serves contribution analysis models, a model type sqlml does not have",
    **dict.fromkeys(
        ("GENERATE_TEXT", "GENERATE_TEXT_EMBEDDING", "UNDERSTAND_TEXT", "TRANSLATE"),
        _REMOTE,
    ),
    **dict.fromkeys(("PROCESS_DOCUMENT", "TRANSCRIBE", "ANNOTATE_IMAGE"), _REMOTE),
    **dict.fromkeys(("DECODE_IMAGE", "RESIZE_IMAGE", "CONVERT_COLOR_SPACE", "CONVERT_IMAGE_TYPE"), _OBJECT_TABLES),
    **dict.fromkeys(
        ("TFDV_DESCRIBE", "TFDV_VALIDATE"),
        "it returns TensorFlow Data Validation protocol buffers; sqlml's ML.DESCRIBE_DATA, ML.VALIDATE_DATA_SKEW "
        "and ML.VALIDATE_DATA_DRIFT compute the same statistics and checks as tables",
    ),
    **dict.fromkeys(
        ("FEATURES_AT_TIME", "ENTITY_FEATURES_AT_TIME"),
        "point-in-time feature lookups are not implemented (a window query over the feature table does the same)",
    ),
}


def refuse_function(name: str) -> None:
    """NotSupportedError for ML.<name> if it is one of BigQuery ML's functions that sqlml does not have."""
    reason = FUNCTIONS.get(name.upper())
    if reason is not None:
        raise NotSupportedError(f"ML.{name.upper()} is a BigQuery ML function sqlml does not have: {reason}")


def refuse_model_type(model_type: str) -> None:
    """NotSupportedError for one of BigQuery ML's model types that sqlml does not have."""
    reason = MODEL_TYPES.get(model_type.lower())
    if reason is not None:
        raise NotSupportedError(
            f"OPTIONS: model_type {model_type!r} is a BigQuery ML model type sqlml does not have: {reason}"
        )


def refuse_remote_model() -> None:
    raise NotSupportedError(
        "CREATE MODEL ... REMOTE WITH CONNECTION (and INPUT / OUTPUT) creates a BigQuery ML remote model, which "
        "calls a Vertex AI or Cloud AI endpoint; sqlml has no remote models (import a model file as ONNX instead)"
    )


def refuse_training_data_form() -> None:
    raise NotSupportedError(
        "CREATE MODEL ... AS (training_data AS (...), custom_holiday AS (...)) gives an ARIMA_PLUS model custom "
        "holidays, which sqlml does not take; write AS <query> and use holiday_region"
    )

"""The one table from ML function name to handler: handler(context, call) -> an Arrow relation (a
RecordBatchReader or Table DuckDB scans) or the SQL text of a query DuckDB runs in the call's place."""

from sqlml.engine.functions.anomalies import detect_anomalies
from sqlml.engine.functions.confusion_and_roc import confusion_matrix, roc_curve
from sqlml.engine.functions.data_validation import describe_data, validate_data_drift, validate_data_skew
from sqlml.engine.functions.evaluate import evaluate
from sqlml.engine.functions.explain import explain_predict, global_explain
from sqlml.engine.functions.fairness import fairness
from sqlml.engine.functions.centroids_and_components import centroids, principal_component_info, principal_components
from sqlml.engine.functions.feature_info import feature_info
from sqlml.engine.functions.importance import feature_importance
from sqlml.engine.functions.ml_transform import ml_transform
from sqlml.engine.functions.model_card import model_card
from sqlml.engine.functions.training_history import training_info, trial_info, versions
from sqlml.engine.functions.weights import weights
from sqlml.engine.functions.predict import predict
from sqlml.engine.functions.error_slices import error_slices

ML_FUNCTIONS = {
    "PREDICT": predict,
    "EVALUATE": evaluate,
    "TRANSFORM": ml_transform,
    "TRIAL_INFO": trial_info,
    "TRAINING_INFO": training_info,
    "CENTROIDS": centroids,
    "CONFUSION_MATRIX": confusion_matrix,
    "ROC_CURVE": roc_curve,
    "FEATURE_IMPORTANCE": feature_importance,
    "VERSIONS": versions,
    "WEIGHTS": weights,
    "EXPLAIN_PREDICT": explain_predict,
    "GLOBAL_EXPLAIN": global_explain,
    "PRINCIPAL_COMPONENTS": principal_components,
    "PRINCIPAL_COMPONENT_INFO": principal_component_info,
    "FEATURE_INFO": feature_info,
    "DETECT_ANOMALIES": detect_anomalies,
    "FAIRNESS": fairness,
    "ERROR_SLICES": error_slices,
    "MODEL_CARD": model_card,
    "DESCRIBE_DATA": describe_data,
    "VALIDATE_DATA_SKEW": validate_data_skew,
    "VALIDATE_DATA_DRIFT": validate_data_drift,
}

TAKES_VALUES = {"ROC_CURVE"}  # the functions with a list argument (thresholds)

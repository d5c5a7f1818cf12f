"""The one table from model_type to trainer."""

from sqlml.engine.families.base import FLOAT32_MAX, Estimator, TrainData, Trainer
from sqlml.engine.families.boosted_tree import BoosterModel, fit_boosted_tree
from sqlml.engine.families.dnn import DNNModel, fit_dnn
from sqlml.engine.families.kmeans import KMeansModel, fit_kmeans
from sqlml.engine.families.linear import LinearModel, fit_linear_reg, fit_logistic_reg
from sqlml.engine.families.onnx_model import OnnxModel
from sqlml.engine.families.pca import PCAModel, fit_pca
from sqlml.engine.families.random_forest import ForestModel, fit_random_forest

TRAINERS: dict[str, Trainer] = {
    "linear_reg": Trainer("regression", True, fit_linear_reg, LinearModel.load, "json"),
    "logistic_reg": Trainer("classification", True, fit_logistic_reg, LinearModel.load, "json",
                            max_classes=50),
    "boosted_tree_regressor": Trainer("regression", False, fit_boosted_tree, BoosterModel.load, "lightgbm"),
    "boosted_tree_classifier": Trainer("classification", False, fit_boosted_tree, BoosterModel.load,
                                       "lightgbm", max_classes=1000),
    "random_forest_regressor": Trainer("regression", False, fit_random_forest, ForestModel.load, "skops",
                                       feature_limit=FLOAT32_MAX),
    "random_forest_classifier": Trainer("classification", False, fit_random_forest, ForestModel.load,
                                        "skops", max_classes=1000, feature_limit=FLOAT32_MAX),
    "dnn_regressor": Trainer("regression", True, fit_dnn, DNNModel.load, "json"),
    "dnn_classifier": Trainer("classification", True, fit_dnn, DNNModel.load, "json", max_classes=1000),
    "kmeans": Trainer("clustering", True, fit_kmeans, KMeansModel.load, "json",
                      scale_option="standardize_features"),
    "pca": Trainer("dimensionality_reduction", True, fit_pca, PCAModel.load, "json", scale_option="scale_features"),
    "onnx": Trainer("imported", False, None, OnnxModel.load, "onnx"),  # read from model_path, not trained
}

__all__ = ["TRAINERS", "Estimator", "TrainData", "Trainer"]

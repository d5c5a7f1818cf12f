"""EXPORT MODEL: a model version as one verified ONNX graph (exporter.py), and the device-side runner."""

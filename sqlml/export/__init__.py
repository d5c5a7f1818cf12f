"""EXPORT MODEL to ONNX: parsed today, implemented by the export issue."""

"""The int8 recipes (ONNX Runtime and OpenVINO): quality to fp32 and speed."""

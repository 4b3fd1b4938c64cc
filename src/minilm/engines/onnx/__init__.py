"""ONNX Runtime engines ("onnx" fp32, "onnx-int8"): an ONNX graph this package writes from the weights.

graph.py writes the encoder node by node, store.py caches it by the weights' sha256, session.py opens it on
explicit threads, quantize.py makes the int8 graph, engine.py puts them behind the base.Engine contract.
"""

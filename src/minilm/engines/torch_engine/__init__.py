"""The torch engine: a BERT module in torch (bert.py, which training trains too) in inference mode, on a CPU, a
CUDA GPU or Apple's MPS, in float32, float16 or bfloat16. Needs torch (the gpu extra, after the CUDA build of
torch for the machine). bert.py is the model, devices.py picks and checks the device and dtype, engine.py runs
batches.
"""

"""The torch engine: the training code's BERT module (minilm.train.model.Bert) in inference mode, on a CPU, a
CUDA GPU or Apple's MPS, in float32, float16 or bfloat16. Needs torch (`pip install '.[gpu]'`, after the
CUDA build of torch for the machine). devices.py picks and checks the device and dtype; engine.py runs batches.
"""

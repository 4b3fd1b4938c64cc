"""TorchEngine: the torch BERT (bert.py; parameter names = checkpoint keys) in inference mode on one device.

On a CUDA device, `pooled` keeps the GPU busy: each batch's ids go through pinned host memory with a
non-blocking copy, the forward pass and pooling are queued on the device, and the (B, H) result comes back by a
non-blocking copy into pinned memory; the host collects it only after queueing the next batch, so padding batch
i + 1 (and tokenizing the next block, in the encoder's worker thread) overlaps the GPU's work on batch i.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from minilm.config import PoolingMode
from minilm.engines.base import BatchHints, Checkpoint
from minilm.engines.torch_engine.devices import resolve_device, resolve_dtype
from minilm.errors import InputError, MissingExtraError
from minilm.extras import install_line

try:
    import torch
except ImportError:  # pragma: no cover - exercised where torch is absent
    raise MissingExtraError(
        "the torch engine needs torch, which is not installed: install the CUDA build of torch for this machine "
        f"first (https://pytorch.org/get-started/locally/), then {install_line('gpu')}"
    ) from None

# after the check that names the missing extra
from minilm.engines.torch_engine.bert import Bert, pool

# Batch sizes on a GPU (not yet measured on one: benchmarks/gpu/gpu.sh --sweep compares others on the machine at hand).
# Tokens: the orientation figures (H100: forward + mean pooling at 108k sentences/s fp16 on length-sorted
# batches of 8,192 sentences) put a call's fixed cost far above the CPU's; 64k padded tokens is 256 abstracts of
# 256 tokens, ~0.4 GB of float16 activations per layer. Rows: no cap of their own (the token budget and the block
# bound them). Block: texts tokenized at a time, the next block on the host while this one runs on the GPU; 2,048
# (the CPU's) keeps that overlap for a few thousand texts (at the 3.0M tokens/s on 16 cores, tokenizing
# SciFact's ~1.5M tokens is a sizeable share of the GPU's time on them) while still sorting enough texts together
# to keep padding low.
GPU_HINTS = BatchHints(max_tokens=65536, min_rows=8192, block=2048)


@dataclass
class _Pending:
    """A batch queued on the device: its (B, H) result and the event that marks the copy to the host done."""

    host: torch.Tensor
    done: torch.cuda.Event | None

    def result(self) -> np.ndarray:
        if self.done is not None:
            self.done.synchronize()
        return self.host.numpy()


class TorchEngine:
    """BERT on torch: token ids and lengths in, token states (forward) or pooled vectors (pooled) out."""

    name = "torch"

    def __init__(self, model: Bert, device: torch.device, threads: int | None):
        self.model = model
        self._device = device
        self._threads = threads
        self._cuda = device.type == "cuda"
        self.batch_hints: BatchHints | None = None if device.type == "cpu" else GPU_HINTS

    @classmethod
    def from_checkpoint(
        cls, checkpoint: Checkpoint, threads: int | None = None, device: str = "auto", dtype: str = "float32"
    ) -> TorchEngine:
        """The checkpoint's weights on `device` ("auto": CUDA, else MPS, else CPU) in `dtype`."""
        where, precision = resolve_device(device), resolve_dtype(dtype)
        if threads is not None:
            if not isinstance(threads, int) or threads < 1:
                raise InputError(f"threads must be a positive int or None, got {threads!r}")
            torch.set_num_threads(threads)  # torch's intra-op pool is per process
        model = Bert(checkpoint.folder.config.bert, hidden_dropout=0.0, attention_dropout=0.0)
        model.load_state_dict({k: torch.tensor(v) for k, v in checkpoint.weights.items()}, strict=True)
        model.to(device=where, dtype=precision).eval().requires_grad_(False)
        return cls(model, where, threads)

    @property
    def device(self) -> str:
        """The torch device the weights live on ("cpu", "cuda:0", "mps")."""
        if self._cuda:
            return f"cuda:{self._device.index or 0}"
        return str(self._device)

    @property
    def dtype(self) -> str:
        """The weights' and activations' dtype ("float32", "float16", "bfloat16")."""
        return str(next(self.model.parameters()).dtype).removeprefix("torch.")

    @property
    def threads(self) -> int | None:
        return self._threads if self._threads is not None or self._cuda else torch.get_num_threads()

    def forward(self, input_ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            states = self.model(self._to_device(input_ids), self._to_device(lengths))  # (B, T, H)
            return states.float().cpu().numpy()

    def pooled(self, batches: Iterable[tuple[np.ndarray, np.ndarray]], mode: PoolingMode) -> Iterator[np.ndarray]:
        """(B, H) float32 per batch, pooled on the device; batch i + 1 is queued before batch i is collected."""
        pending: _Pending | None = None
        for ids, lengths in batches:
            with torch.inference_mode():  # not across the yield: the caller's code runs between batches
                queued = self._queue(ids, lengths, mode)
            if pending is not None:
                yield pending.result()
            pending = queued
        if pending is not None:
            yield pending.result()

    def _queue(self, input_ids: np.ndarray, lengths: np.ndarray, mode: PoolingMode) -> _Pending:
        lens = self._to_device(lengths)
        states = self.model(self._to_device(input_ids), lens)  # (B, T, H) in the model's dtype
        vectors = pool(states.float(), lens, mode)  # (B, H) float32: sums of 256 halves lose digits
        if not self._cuda:
            return _Pending(vectors.cpu(), None)
        host = torch.empty(vectors.shape, dtype=torch.float32, pin_memory=True)
        host.copy_(vectors, non_blocking=True)
        done = torch.cuda.Event()
        done.record()
        return _Pending(host, done)

    def _to_device(self, array: np.ndarray) -> torch.Tensor:
        tensor = torch.from_numpy(np.ascontiguousarray(array, dtype=np.int64))
        if self._cuda:  # pinned memory lets the copy run asynchronously with the host
            return tensor.pin_memory().to(self._device, non_blocking=True)
        return tensor.to(self._device)

"""GradCache: the loss of a very large batch with the memory of a mini-batch, and the same gradients.

1. Embed every column in mini-batches without a graph, remembering the RNG state before each (dropout).
2. Compute the loss on the full batch of embeddings and its gradient with respect to them.
3. Re-run each mini-batch with a graph and the same RNG state, and backpropagate the cached embedding gradient
   through it: the parameter gradients add up to exactly those of the plain loss (Gao et al., 2021).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext

import torch

from minilm.train.model import SentenceModel

LossFn = Callable[[list[torch.Tensor]], torch.Tensor]


def _rng_state(device: torch.device) -> tuple[torch.Tensor, torch.Tensor | None]:
    cuda = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
    return torch.get_rng_state(), cuda


@contextmanager
def _replay(state: tuple[torch.Tensor, torch.Tensor | None], device: torch.device) -> Iterator[None]:
    """Run a block with a saved RNG state, leaving the global RNG as it was."""
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.set_rng_state(state[0])
        if state[1] is not None:
            torch.cuda.set_rng_state(state[1], device)
        yield


def plain_step(
    model: SentenceModel,
    columns: Sequence[Sequence[str]],
    loss_fn: LossFn,
    autocast: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> float:
    """Embed every column with a graph, compute the loss and backpropagate it; returns the loss."""
    with autocast():
        embeddings = [model(column) for column in columns]
        loss = loss_fn(embeddings)
    loss.backward()
    return float(loss.detach())


def cached_step(
    model: SentenceModel,
    columns: Sequence[Sequence[str]],
    loss_fn: LossFn,
    mini_batch_size: int,
    autocast: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> float:
    """The GradCache version of plain_step: same loss, same parameter gradients, memory of a mini-batch."""
    device = model.device
    chunks: list[list[Sequence[str]]] = [
        [column[i : i + mini_batch_size] for i in range(0, len(column), mini_batch_size)] for column in columns
    ]
    # 1. embeddings without graph, one RNG state per mini-batch
    states: list[list[tuple[torch.Tensor, torch.Tensor | None]]] = []
    embedded: list[torch.Tensor] = []
    with torch.no_grad():
        for column_chunks in chunks:
            states.append([])
            parts = []
            for chunk in column_chunks:
                states[-1].append(_rng_state(device))
                with autocast():
                    parts.append(model(chunk).float())
            embedded.append(torch.cat(parts).requires_grad_())  # (N, D)
    # 2. loss and d loss / d embeddings on the full batch
    with autocast():
        loss = loss_fn(embedded)
    loss.backward()
    # 3. mini-batches again with a graph; backpropagate the cached gradients into the parameters
    for c, column_chunks in enumerate(chunks):
        grads = embedded[c].grad
        assert grads is not None
        start = 0
        for chunk, state in zip(column_chunks, states[c], strict=True):
            with _replay(state, device), autocast():
                vectors = model(chunk).float()  # (n, D)
            vectors.backward(grads[start : start + len(chunk)])
            start += len(chunk)
    return float(loss.detach())

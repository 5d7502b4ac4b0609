"""Optimisation helpers for models whose embedding tables produce sparse gradients.

CTR models keep tens of millions of embedding rows; a batch touches a few thousand of them. With
``nn.Embedding(sparse=True)`` the gradient holds only those rows, but two pieces of stock PyTorch
then need help: ``torch.nn.utils.clip_grad_norm_`` refuses sparse tensors, and Adam has no sparse
path (``torch.optim.SparseAdam`` has no dense one). This module fills both gaps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn
from torch.optim import Optimizer

__all__ = [
    "SPARSE_CAPABLE_OPTIMIZERS",
    "DenseSparseOptimizer",
    "build_optimizer",
    "clip_grad_norm_mixed_",
    "split_sparse_parameters",
]

#: Optimisers whose ``step`` accepts sparse gradients as well as dense ones.
SPARSE_CAPABLE_OPTIMIZERS: tuple[type[Optimizer], ...] = (torch.optim.Adagrad, torch.optim.SGD)


def split_sparse_parameters(
    module: nn.Module, exclude: Iterable[nn.Parameter] = ()
) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
    """Return ``(dense, sparse)`` trainable parameters but ``exclude``; sparse = weights of
    ``sparse=True`` embeddings."""
    excluded = {id(p) for p in exclude}
    sparse_ids: set[int] = set()
    for sub in module.modules():
        if isinstance(sub, (nn.Embedding, nn.EmbeddingBag)) and sub.sparse:
            sparse_ids.add(id(sub.weight))
    dense, sparse = [], []
    for param in module.parameters():
        if param.requires_grad and id(param) not in excluded:
            (sparse if id(param) in sparse_ids else dense).append(param)
    return dense, sparse


class DenseSparseOptimizer(Optimizer):
    """Steps a dense optimiser and a sparse one as a single optimiser.

    ``param_groups`` is the concatenation of both optimisers' groups (the same dict objects), so a
    learning-rate scheduler or Lightning's LR monitor acts on both at once.

    Args:
        dense: optimiser over the dense parameters.
        sparse: optimiser over the parameters with sparse gradients (e.g. ``SparseAdam``).
    """

    def __init__(self, dense: Optimizer, sparse: Optimizer) -> None:
        self.optimizers = (dense, sparse)
        # Deliberately not calling Optimizer.__init__: the groups and state belong to the parts.
        self.defaults = dict(dense.defaults)
        self._optimizer_step_pre_hooks = {}
        self._optimizer_step_post_hooks = {}
        self._optimizer_state_dict_pre_hooks = {}
        self._optimizer_state_dict_post_hooks = {}
        self._optimizer_load_state_dict_pre_hooks = {}
        self._optimizer_load_state_dict_post_hooks = {}

    @property
    def param_groups(self) -> list[dict[str, Any]]:  # type: ignore[override]
        return [group for opt in self.optimizers for group in opt.param_groups]

    @property
    def state(self) -> dict[Any, Any]:  # type: ignore[override]
        merged: dict[Any, Any] = {}
        for opt in self.optimizers:
            merged.update(opt.state)
        return merged

    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for opt in self.optimizers:
            opt.step()
        return loss

    def zero_grad(self, set_to_none: bool = True) -> None:
        for opt in self.optimizers:
            opt.zero_grad(set_to_none=set_to_none)

    def state_dict(self) -> dict[str, Any]:
        return {"dense": self.optimizers[0].state_dict(), "sparse": self.optimizers[1].state_dict()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if set(state_dict) != {"dense", "sparse"}:
            raise ValueError(
                f"DenseSparseOptimizer.load_state_dict expects keys 'dense' and 'sparse', got "
                f"{sorted(state_dict)}; was the checkpoint written with a different optimizer?"
            )
        self.optimizers[0].load_state_dict(state_dict["dense"])
        self.optimizers[1].load_state_dict(state_dict["sparse"])

    def __repr__(self) -> str:
        dense, sparse = self.optimizers
        return f"{type(self).__name__}(dense={type(dense).__name__}, sparse={type(sparse).__name__})"


def build_optimizer(
    module: nn.Module,
    optimizer: Callable[..., Optimizer],
    sparse_optimizer: Callable[..., Optimizer] | None = None,
    exclude: Iterable[nn.Parameter] = (),
) -> Optimizer:
    """Build the optimiser for ``module`` (but ``exclude``, e.g. architecture weights that another
    optimiser steps) from partials, routing sparse gradients correctly.

    Without sparse parameters, or when ``optimizer`` handles sparse gradients itself (Adagrad, SGD),
    one optimiser takes everything. Otherwise ``sparse_optimizer`` (e.g. a ``SparseAdam`` partial)
    takes the embedding tables and the two are stepped together.
    """
    dense, sparse = split_sparse_parameters(module, exclude)
    if not sparse:
        return optimizer(params=dense)
    # Embedding backward builds valid sparse tensors; opting out explicitly skips the per-step
    # invariant checks and the warning PyTorch prints when nobody has chosen.
    torch.sparse.check_sparse_tensor_invariants.disable()
    optimizer_cls = getattr(optimizer, "func", optimizer)
    if isinstance(optimizer_cls, type) and issubclass(optimizer_cls, SPARSE_CAPABLE_OPTIMIZERS):
        return optimizer(params=dense + sparse)
    if sparse_optimizer is None:
        raise ValueError(
            f"{getattr(optimizer_cls, '__name__', optimizer_cls)} cannot step sparse embedding gradients; "
            "set model.sparse_optimizer (e.g. torch.optim.SparseAdam), use Adagrad or SGD, "
            "or build the embeddings with sparse=False."
        )
    if not dense:
        return sparse_optimizer(params=sparse)
    return DenseSparseOptimizer(optimizer(params=dense), sparse_optimizer(params=sparse))


def clip_grad_norm_mixed_(parameters: Iterable[torch.Tensor], max_norm: float) -> torch.Tensor:
    """``clip_grad_norm_`` (L2) that also accepts sparse gradients.

    Sparse gradients are coalesced in place first (duplicate rows summed), so the norm is that of the
    gradient a dense table would have had.
    """
    grads: list[torch.Tensor] = []
    for param in parameters:
        if param.grad is None:
            continue
        if param.grad.is_sparse:
            param.grad = param.grad.coalesce()
            grads.append(param.grad._values())
        else:
            grads.append(param.grad)
    if not grads:
        return torch.tensor(0.0)
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.detach()) for g in grads]))
    scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for grad in grads:
        grad.detach().mul_(scale.to(grad.device, grad.dtype))
    return total

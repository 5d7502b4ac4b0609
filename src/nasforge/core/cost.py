"""What a model costs: FLOPs (torch's flop counter), parameter counts and measured latency.

FLOPs follow the convention of :mod:`torch.utils.flop_counter`: **FLOPs = 2 x multiply-accumulates**
of matrix products (``mm``, ``addmm``, ``bmm``, hence ``nn.Linear``, ``matmul`` and ``einsum``),
convolutions and attention. Element-wise work (activations, norms, additions, bias) and embedding
lookups are not counted; they are memory-bound and small beside the products. Divide by 2 for MACs.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode, sdpa_flop_count

__all__ = ["CostReport", "count_flops", "count_params", "measure_cost", "measure_latency"]


def _sdpa_flop(query_shape: Any, key_shape: Any, value_shape: Any, *args: Any, **kwargs: Any) -> int:
    return sdpa_flop_count(query_shape, key_shape, value_shape)


# The CPU kernel of scaled_dot_product_attention has no formula in torch's registry (it would count
# as 0); it does the same products as the GPU kernels, so it gets the same formula.
_EXTRA_FORMULAS: dict[Any, Any] = {}
if hasattr(torch.ops.aten, "_scaled_dot_product_flash_attention_for_cpu"):
    _EXTRA_FORMULAS[torch.ops.aten._scaled_dot_product_flash_attention_for_cpu] = _sdpa_flop


@dataclass(frozen=True)
class CostReport:
    """Cost of one model on one example input.

    Args:
        flops: FLOPs of one forward pass (2 x MACs, see the module docstring).
        params: parameter count (after the exclusions asked for).
        latency_ms: median wall time of one forward pass in milliseconds, if measured.
    """

    flops: int
    params: int
    latency_ms: float | None = None

    def to_dict(self) -> dict[str, float]:
        """Numbers for a history entry or ``metrics.json`` (latency left out when not measured)."""
        return {k: v for k, v in asdict(self).items() if v is not None}


@contextmanager
def _eval_mode(module: nn.Module) -> Iterator[None]:
    """Eval mode for the duration (no batch-norm statistics updated, no dropout), then as before."""
    modes = {m: m.training for m in module.modules()}
    module.eval()
    try:
        yield
    finally:
        for m, training in modes.items():
            m.training = training


def count_flops(module: nn.Module, *example_inputs: Any, **example_kwargs: Any) -> int:
    """FLOPs (2 x MACs) of ``module(*example_inputs, **example_kwargs)`` in eval mode.

    Gradients stay enabled while counting: with them off, ``nn.MultiheadAttention`` takes a fused
    fast path that torch's counter cannot see. No backward pass is run.
    """
    with _eval_mode(module), torch.enable_grad():
        counter = FlopCounterMode(display=False, custom_mapping=_EXTRA_FORMULAS)
        with counter:
            module(*example_inputs, **example_kwargs)
    return int(counter.get_total_flops())


def count_params(
    module: nn.Module, exclude: tuple[type[nn.Module], ...] = (), trainable_only: bool = False
) -> int:
    """Number of parameters of ``module``; shared parameters are counted once.

    Args:
        module: the model.
        exclude: module types whose parameters (their sub-modules' included) are not counted, e.g.
            ``(nn.Embedding, nn.EmbeddingBag)`` for the dense part of a recommender (default: ``()``).
        trainable_only: count only parameters with ``requires_grad`` (default: ``False``).
    """
    excluded = {id(p) for m in module.modules() if isinstance(m, exclude) for p in m.parameters()}
    seen: set[int] = set()
    total = 0
    for p in module.parameters():
        if id(p) in excluded or id(p) in seen or (trainable_only and not p.requires_grad):
            continue
        seen.add(id(p))
        total += p.numel()
    return total


def measure_latency(
    module: nn.Module, *example_inputs: Any, warmup: int = 3, repeats: int = 10, **example_kwargs: Any
) -> float:
    """Median wall time of one forward pass in eval mode without gradients, in milliseconds.

    Args:
        warmup: untimed passes first (caches, lazy initialisation, autotuning) (default: ``3``).
        repeats: timed passes; the median is robust to a stray slow one (default: ``10``).
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f"measure_latency: need repeats >= 1 and warmup >= 0, got {repeats=}, {warmup=}")
    cuda = any(isinstance(x, torch.Tensor) and x.is_cuda for x in (*example_inputs, *example_kwargs.values()))
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    times = []
    with _eval_mode(module), torch.inference_mode():
        for i in range(warmup + repeats):
            sync()
            start = time.perf_counter()
            module(*example_inputs, **example_kwargs)
            sync()
            if i >= warmup:
                times.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(times)


def measure_cost(
    module: nn.Module,
    *example_inputs: Any,
    exclude: tuple[type[nn.Module], ...] = (),
    latency_repeats: int = 0,
    **example_kwargs: Any,
) -> CostReport:
    """FLOPs, parameters and, when ``latency_repeats`` > 0, latency of ``module`` on the example.

    Args:
        exclude: module types left out of the parameter count (default: ``()``).
        latency_repeats: timed forward passes; ``0`` skips the measurement (default: ``0``).
    """
    latency = None
    if latency_repeats > 0:
        latency = measure_latency(module, *example_inputs, repeats=latency_repeats, **example_kwargs)
    return CostReport(
        flops=count_flops(module, *example_inputs, **example_kwargs),
        params=count_params(module, exclude=exclude),
        latency_ms=latency,
    )

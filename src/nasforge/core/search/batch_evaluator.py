"""The contract of an evaluator that scores a whole batch of architectures in one call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from nasforge.core.arch import Arch

__all__ = ["BatchEvaluator"]


@runtime_checkable
class BatchEvaluator(Protocol):
    """An evaluator that is cheaper per architecture in batches, e.g. a neural predictor.

    :func:`~nasforge.core.search.run_search` calls :meth:`evaluate_batch` once per batch of proposals
    when the ``evaluate`` it is given has the method, and calls ``evaluate(arch)`` once per proposal
    otherwise. A batch evaluator may also be callable on one architecture; both must agree.
    """

    def evaluate_batch(self, archs: Sequence[Arch]) -> list[Mapping[str, Any]]:
        """The metrics of each of ``archs``, in their order: one mapping of name -> number per arch."""
        ...

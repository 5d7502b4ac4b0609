"""The intra-op thread count of the predictors' tensor work."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

__all__ = ["check_num_threads", "intra_op_threads"]


@contextlib.contextmanager
def intra_op_threads(num_threads: int | None) -> Iterator[None]:
    """Run the block on ``num_threads`` intra-op threads (``None``: leave torch's setting), then
    restore the count.

    Predictor tensors are small: on a busy 2-core CPU one thread scored CSCO architectures
    1.6x (MLP) to 3x (GNN) faster than two, and a GNN scoring one architecture at a time ran 40x
    slower on two, the threads losing more to hand-offs than they gain.
    """
    if num_threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def check_num_threads(num_threads: int | None, owner: str) -> None:
    """Raise a :class:`ValueError` naming ``owner`` unless ``num_threads`` is ``None`` or positive."""
    if num_threads is not None and (
        isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1
    ):
        raise ValueError(f"{owner}: num_threads must be None or a positive integer, got {num_threads!r}")

"""Running small tensor work on one intra-op thread."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

__all__ = ["one_thread"]


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run the block on one intra-op thread, then restore the thread count.

    Steps on a few dozen architectures lose more to thread hand-offs than they gain, many times over on
    a busy machine (a GNN scoring one architecture at a time ran 40x slower on 2 threads than on 1).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)

"""What a Lightning module needs to be correct under DDP, beyond what Lightning does itself."""

from __future__ import annotations

import torch.distributed as dist
from torch import nn

from nasforge.core.sampling import PathSampler
from nasforge.utils.pylogger import RankedLogger

__all__ = ["check_same_paths_on_every_rank", "dense_embedding_gradients_for_ddp", "is_distributed"]

log = RankedLogger(__name__)

#: how many steps' paths are compared across processes when training starts
_CHECKED_STEPS = 8


def is_distributed() -> bool:
    """Whether this process belongs to a process group of more than one process."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def check_same_paths_on_every_rank(sampler: PathSampler, first_step: int) -> None:
    """Refuse to train a supernet whose processes would draw different paths at the same step (a
    sampler seeded per process): DDP would then average gradients of different subnets.

    Raises:
        RuntimeError: naming the processes whose paths differ from rank 0's.
    """
    if not is_distributed():
        return
    paths = [repr(sampler(step)) for step in range(first_step, first_step + _CHECKED_STEPS)]
    gathered: list[list[str] | None] = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, paths)
    differing = [rank for rank, other in enumerate(gathered) if other != gathered[0]]
    if differing:
        raise RuntimeError(
            f"Supernet processes {differing} draw other paths than rank 0 at steps {first_step}.."
            f"{first_step + _CHECKED_STEPS - 1}: the path sampler must depend only on its seed and the "
            "step, with the same seed in every process"
        )


def dense_embedding_gradients_for_ddp(net: nn.Module, leaves_parameters_unused: bool) -> int:
    """Switch ``net``'s sparse-gradient embeddings to dense gradients where DDP cannot reduce sparse
    ones; return how many were switched. DDP reduces sparse gradients on gloo, but not on NCCL, and
    not when a step may leave a table without gradient (``leaves_parameters_unused``: a supernet path
    that reads no categorical feature).

    Call it before the optimiser is built, so the tables go to the dense optimiser.
    """
    if not is_distributed():
        return 0
    if dist.get_backend() == "nccl":
        reason = "NCCL cannot reduce sparse gradients"
    elif leaves_parameters_unused:
        reason = "DDP cannot reduce a sparse gradient that a step leaves undefined"
    else:
        return 0
    switched = [m for m in net.modules() if isinstance(m, (nn.Embedding, nn.EmbeddingBag)) and m.sparse]
    for module in switched:
        module.sparse = False
    if switched:
        log.warning(
            f"{reason}: {len(switched)} embedding table(s) train with dense gradients in this DDP run "
            "(model.net.sparse_grad=false says so in the config)"
        )
    return len(switched)

"""One result from many processes: which process of a DDP run does what, and how the others wait.

Under Lightning DDP every process runs ``train.py`` and walks the whole pipeline. A stage that fits a
Lightning model (``runs_on_every_rank = True``) runs on every process, as DDP needs; any other stage
(search, labels, predictors, reports) runs on global rank 0 while the others wait at a barrier, then
read its record from ``stages/<name>.json`` exactly as a resumed run does. Only rank 0 writes the
run's files.

Processes are started in one of two ways:

- by Lightning (``trainer=ddp`` on one machine): rank 0 starts the others when it reaches its first
  fit, so everything before that fit is already on disk when they start and they reuse it;
- by an outside launcher (``torchrun``, SLURM's ``srun``): all processes start together, so the
  process group is formed before the first stage (:func:`join_process_group`).
"""

from __future__ import annotations

import os
from datetime import timedelta
from functools import cache
from typing import Any

import torch.distributed as dist
from lightning.fabric.plugins.environments import (
    ClusterEnvironment,
    SLURMEnvironment,
    TorchElasticEnvironment,
)

from nasforge.lit.distributed import is_distributed
from nasforge.utils.pylogger import RankedLogger
from nasforge.utils.resolvers import on_gpu

__all__ = [
    "check_one_run_folder",
    "ddp_strategy_for",
    "is_rank_zero",
    "join_process_group",
    "rank_label",
    "wait_for_every_rank",
]

log = RankedLogger(__name__)

# The environment variables that carry a process's rank before a process group exists: torchrun's,
# SLURM's and those Lightning gives the processes it starts.
_RANK_VARIABLES = ("RANK", "SLURM_PROCID", "LOCAL_RANK", "NODE_RANK", "GROUP_RANK")


def is_rank_zero() -> bool:
    """Whether this process is global rank 0, the one that runs rank-0 stages and writes the files;
    before a process group exists, judged from the launcher's environment variables."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank() == 0
    return all(int(os.environ.get(name, "0") or 0) == 0 for name in _RANK_VARIABLES)


def rank_label() -> str:
    """This process's global rank as text, for file names and messages ("0" in a single process)."""
    if dist.is_available() and dist.is_initialized():
        return str(dist.get_rank())
    for name in ("RANK", "SLURM_PROCID", "LOCAL_RANK"):
        if name in os.environ:
            return os.environ[name]
    return "0"


def external_launcher() -> ClusterEnvironment | None:
    """The cluster environment of processes started by torchrun or srun (more than one), else None."""
    for environment_type in (TorchElasticEnvironment, SLURMEnvironment):
        if environment_type.detect():
            environment = environment_type()
            if environment.world_size() > 1:
                return environment
    return None


# How long a process waits for the others at a barrier (set by :func:`join_process_group`).
_wait = timedelta(hours=24)


def join_process_group(accelerator: str, wait_hours: float) -> None:
    """Set how long processes wait for each other (``wait_hours``, long enough for a whole rank-0
    stage such as a search), and form the process group before the first stage when an outside
    launcher started the processes (Lightning then uses it as it is).

    The back-end is the one Lightning would pick: NCCL for GPUs, gloo otherwise.
    """
    global _wait
    _wait = timedelta(hours=wait_hours)
    environment = external_launcher()
    if environment is None or dist.is_initialized():
        return
    os.environ["MASTER_ADDR"] = environment.main_address
    os.environ["MASTER_PORT"] = str(environment.main_port)
    dist.init_process_group(
        backend="nccl" if on_gpu(accelerator) else "gloo",
        rank=environment.global_rank(),
        world_size=environment.world_size(),
        timeout=_wait,
    )
    log.info(f"Joined a process group of {dist.get_world_size()} processes ({type(environment).__name__})")


def check_one_run_folder(output_dir: str) -> None:
    """Refuse to start when the processes of one launch would write to different run folders (each
    process composes its own config, e.g. with a time stamp in the folder name).

    Raises:
        ValueError: listing the folders and how to name one.
    """
    if not is_distributed():
        return
    folders: list[str | None] = [None] * dist.get_world_size()
    # over gloo: on NCCL the default group needs each process's GPU set, which Lightning does later
    dist.all_gather_object(folders, output_dir, group=_pipeline_group())
    if len(set(folders)) > 1:
        raise ValueError(
            f"The processes of this launch would write to {len(set(folders))} run folders "
            f"({', '.join(sorted(set(map(str, folders))))}): give them one with hydra.run.dir=<folder>"
        )


def wait_for_every_rank() -> None:
    """Block until every process of the group gets here (a no-op in a single process).

    The wait uses the pipeline's own gloo group, whose timeout covers a whole rank-0 stage rather
    than the default group's 30 minutes, and which holds no GPU.
    """
    if is_distributed():
        dist.barrier(group=_pipeline_group())


@cache
def _pipeline_group() -> Any:
    """A gloo group of every process, for the pipeline's own waits and exchanges."""
    return dist.new_group(backend="gloo", timeout=_wait)


def ddp_strategy_for(model: Any, strategy: Any) -> Any:
    """The Trainer strategy for ``model``: plain ``ddp`` becomes ``ddp_find_unused_parameters_true``
    for a model whose steps leave some parameters without gradient (``leaves_parameters_unused``: a
    supernet, a child with blocks no later block reads), since DDP otherwise waits for gradients that
    never come."""
    if strategy == "ddp" and getattr(model, "leaves_parameters_unused", False):
        return "ddp_find_unused_parameters_true"
    return strategy

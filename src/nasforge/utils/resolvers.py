"""OmegaConf resolvers used by the configs; registering twice is harmless."""

from __future__ import annotations

import netrc
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

__all__ = [
    "PROFILES",
    "image_training_hours",
    "method_profile",
    "on_gpu",
    "on_rank_zero",
    "profile_warning",
    "register_resolvers",
    "run_stamp",
    "training_images",
    "wandb_logged_in",
]

#: sizes of a method's stages: ``auto`` picks one of the others from the data and the device
PROFILES = ("auto", "published", "quick", "tiny")


def wandb_logged_in() -> bool:
    """True when W&B credentials exist (``WANDB_API_KEY`` or a ``~/.netrc`` entry from ``wandb login``)."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    path = Path(os.environ.get("NETRC", Path.home() / ".netrc"))
    if not path.is_file():
        return False
    try:
        hosts = netrc.netrc(str(path)).hosts
    except (netrc.NetrcParseError, OSError):
        return False
    return any("wandb" in host for host in hosts)


def when_generated(path: Any, default_path: Any, if_generated: Any, if_real: Any) -> Any:
    """``if_generated`` when a run with these data paths will read a generated sample (no ``path``
    given and nothing at ``default_path``), else ``if_real``: lets a config size a run for the
    sample while real data gets the published settings."""
    return if_generated if _generated(path, default_path) else if_real


def _unset(value: Any) -> bool:
    """A config value left empty (interpolations hand ``None`` on as the strings too)."""
    return value in (None, "", "None", "null")


def _generated(path: Any, default_path: Any) -> bool:
    return _unset(path) and not (default_path and Path(default_path).exists())


def on_gpu(accelerator: Any) -> bool:
    """Whether Lightning's ``accelerator`` setting trains on a GPU of this machine
    (``${on_gpu:${trainer.accelerator}}``)."""
    import torch

    return str(accelerator) in ("gpu", "cuda", "auto") and torch.cuda.is_available()


def training_images(path: Any, default_path: Any, dataset: str) -> int | None:
    """Training images of the real data a run reads (``path``, else ``default_path``); ``None`` for a
    generated sample, or data its reader cannot read (the DataModule says why when the run reads it:
    a count only sizes an estimate, and a forced profile needs none)."""
    if _generated(path, default_path):
        return None
    from nasforge.vision.data import ImageDataError
    from nasforge.vision.data.size import training_image_count

    folder = default_path if _unset(path) else path
    try:
        return training_image_count(str(folder), str(dataset))
    except (OSError, ImageDataError):
        return None


def image_training_hours(images: Any, seconds_per_image: float, *passes: int) -> float | None:
    """Hours of training ``images`` images ``sum(a * b for pairs (a, b) in passes)`` times at
    ``seconds_per_image`` each (e.g. ``300 labels, 10 epochs, 3 retrained, 200 epochs``), to one
    decimal; ``None`` without a count."""
    if _unset(images):
        return None
    if len(passes) % 2:
        raise ValueError(f"image_training_hours: passes come in pairs (runs, epochs), got {list(passes)}")
    epochs = sum(int(runs) * int(each) for runs, each in zip(passes[::2], passes[1::2], strict=True))
    return round(int(images) * epochs * float(seconds_per_image) / 3600, 1)


def method_profile(
    requested: str,
    path: Any,
    default_path: Any,
    accelerator: Any,
    fast_dev_run: Any = False,
    published_cpu_hours: Any = None,
    cpu_budget_hours: Any = None,
) -> str:
    """The profile a method runs: ``requested`` unless it is ``auto``, which means ``tiny`` under
    ``trainer.fast_dev_run`` (a smoke run shrinks every stage, not only the Lightning loops), ``quick``
    on a generated sample, and ``published`` on real data with a GPU. Real data without a GPU runs
    ``published`` when the method estimates its cost on this data (``published_cpu_hours``, from the
    data's size) within ``cpu_budget_hours``, else ``quick``. A method that trains nothing (a search
    answered by a table) passes ``accelerator="none"`` and runs ``published`` on real data anywhere."""
    if requested not in PROFILES:
        raise ValueError(f"profile must be one of {list(PROFILES)}, got {requested!r}")
    if requested != "auto":
        return requested
    if fast_dev_run not in (False, None, 0, "false", "False", "0"):
        return "tiny"
    if _generated(path, default_path):
        return "quick"
    if str(accelerator) == "none" or on_gpu(accelerator):
        return "published"
    if _unset(published_cpu_hours) or _unset(cpu_budget_hours):
        return "quick"
    return "published" if float(published_cpu_hours) <= float(cpu_budget_hours) else "quick"


def profile_warning(requested: str, resolved: str, path: Any, default_path: Any, published_cost: str) -> str:
    """A warning when ``auto`` ran the ``quick`` profile (``resolved``) on real data for want of a GPU
    ("" otherwise): what the published profile would cost on this machine, and how to force it."""
    if requested != "auto" or resolved != "quick" or _generated(path, default_path):
        return ""
    return (
        f"Real data without a GPU: the `quick` profile runs (profile=auto). The published profile would "
        f"take {published_cost}; run it with profile=published, ideally on a GPU (trainer=gpu)."
    )


def run_stamp() -> str:
    """The run folder's name. Every process of one launch must agree on it, so a SLURM job step or a
    torchrun launch is named by its id; otherwise by the start time."""
    if os.environ.get("SLURM_JOB_ID") and os.environ.get("SLURM_STEP_ID"):
        return f"slurm-{os.environ['SLURM_JOB_ID']}.{os.environ['SLURM_STEP_ID']}"
    if os.environ.get("TORCHELASTIC_RUN_ID", "none") != "none":
        return f"torchrun-{os.environ['TORCHELASTIC_RUN_ID']}"
    return datetime.now().strftime("%Y-%m-%d_%H-%M-%S")


def on_rank_zero(value: Any) -> Any:
    """``value`` in the process of global rank 0, else None: Hydra's ``output_subdir``, so that only
    one process of a DDP launch writes the composed config."""
    from nasforge.pipeline.distributed import is_rank_zero

    return value if is_rank_zero() else None


_RESOLVERS = {
    "wandb_offline": lambda: not wandb_logged_in(),
    "when_generated": when_generated,
    "method_profile": method_profile,
    "profile_warning": profile_warning,
    "training_images": training_images,
    "image_training_hours": image_training_hours,
    "on_gpu": on_gpu,
    "run_stamp": run_stamp,
    "on_rank_zero": on_rank_zero,
}


def register_resolvers() -> None:
    """``${wandb_offline:}``: run W&B offline unless the user has logged in. The others
    (``${when_generated:...}``, ``${method_profile:...}``, ``${run_stamp:}``, ...) are the functions
    of this module with those names."""
    for name, resolver in _RESOLVERS.items():
        if not OmegaConf.has_resolver(name):
            # the run folder's stamp is resolved again later (Lightning names the folder to the
            # processes it starts): it must not change
            OmegaConf.register_new_resolver(name, resolver, use_cache=name == "run_stamp")

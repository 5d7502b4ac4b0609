"""OmegaConf resolvers used by the configs; registering twice is harmless."""

from __future__ import annotations

import netrc
import os
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

__all__ = ["PROFILES", "method_profile", "profile_warning", "register_resolvers", "wandb_logged_in"]

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


def _generated(path: Any, default_path: Any) -> bool:
    return path in (None, "", "None", "null") and not (default_path and Path(default_path).exists())


def _on_gpu(accelerator: Any) -> bool:
    import torch

    return str(accelerator) in ("gpu", "cuda", "auto") and torch.cuda.is_available()


def method_profile(
    requested: str, path: Any, default_path: Any, accelerator: Any, fast_dev_run: Any = False
) -> str:
    """The profile a method runs: ``requested`` unless it is ``auto``, which means ``tiny`` under
    ``trainer.fast_dev_run`` (a smoke run shrinks every stage, not only the Lightning loops), ``quick``
    on a generated sample or a CPU, and ``published`` on real data with a GPU; a method that trains
    nothing (a search answered by a table) passes ``accelerator="none"`` and runs ``published`` on real
    data anywhere."""
    if requested not in PROFILES:
        raise ValueError(f"profile must be one of {list(PROFILES)}, got {requested!r}")
    if requested != "auto":
        return requested
    if fast_dev_run not in (False, None, 0, "false", "False", "0"):
        return "tiny"
    device_ready = str(accelerator) == "none" or _on_gpu(accelerator)
    return "published" if not _generated(path, default_path) and device_ready else "quick"


def profile_warning(requested: str, resolved: str, path: Any, default_path: Any, published_cost: str) -> str:
    """A warning when ``auto`` ran the ``quick`` profile (``resolved``) on real data for want of a GPU
    ("" otherwise): what the published profile would cost on this machine, and how to force it."""
    if requested != "auto" or resolved != "quick" or _generated(path, default_path):
        return ""
    return (
        f"Real data without a GPU: the `quick` profile runs (profile=auto). The published profile would "
        f"take {published_cost}; run it with profile=published, ideally on a GPU (trainer=gpu)."
    )


def register_resolvers() -> None:
    """``${wandb_offline:}``: run W&B offline unless the user has logged in.
    ``${when_generated:path,default_path,a,b}``: see :func:`when_generated`.
    ``${method_profile:...}`` and ``${profile_warning:...}``: see those functions."""
    if not OmegaConf.has_resolver("wandb_offline"):
        OmegaConf.register_new_resolver("wandb_offline", lambda: not wandb_logged_in())
    if not OmegaConf.has_resolver("when_generated"):
        OmegaConf.register_new_resolver("when_generated", when_generated)
    if not OmegaConf.has_resolver("method_profile"):
        OmegaConf.register_new_resolver("method_profile", method_profile)
    if not OmegaConf.has_resolver("profile_warning"):
        OmegaConf.register_new_resolver("profile_warning", profile_warning)

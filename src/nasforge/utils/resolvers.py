"""OmegaConf resolvers used by the configs; registering twice is harmless."""

from __future__ import annotations

import netrc
import os
from pathlib import Path

from omegaconf import OmegaConf

__all__ = ["register_resolvers", "wandb_logged_in"]


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


def register_resolvers() -> None:
    """``${wandb_offline:}``: run W&B offline unless the user has logged in."""
    if not OmegaConf.has_resolver("wandb_offline"):
        OmegaConf.register_new_resolver("wandb_offline", lambda: not wandb_logged_in())

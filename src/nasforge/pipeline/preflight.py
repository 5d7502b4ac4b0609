"""Checks that run before any data is read, so a mistyped setting or a wrong architecture file fails
in a second with its key or file named, not after minutes of loading with a traceback."""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import hydra
import lightning as L
from omegaconf import DictConfig, ListConfig, OmegaConf

from nasforge.core.arch import Arch, InvalidArchError

__all__ = ["check_architecture_file", "check_trainer_settings", "preflight"]


def preflight(cfg: DictConfig) -> None:
    """Every check of this module on ``cfg``."""
    check_trainer_settings(cfg.get("trainer"))
    check_architecture_file(cfg.get("model"))


def check_trainer_settings(trainer: DictConfig | None) -> None:
    """Refuse a ``trainer.<key>`` whose value has a type ``lightning.Trainer`` does not take.

    Raises:
        TypeError: naming the key, the value and the types it takes.
    """
    if not trainer:
        return
    hints = typing.get_type_hints(L.Trainer.__init__)
    for key, value in trainer.items():
        hint = hints.get(str(key))
        if hint is not None and not _matches(value, hint):
            raise TypeError(f"trainer.{key}={value!r}: lightning.Trainer takes {_describe(hint)} there")


def check_architecture_file(model: DictConfig | None) -> None:
    """Read ``model.arch`` (an architecture file) and validate it against ``model.net.space``.

    Raises:
        ValueError: when ``model.arch`` is required but not given.
        FileNotFoundError: naming the missing file.
        InvalidArchError: naming the file and every problem found.
    """
    if not model:
        return
    if OmegaConf.is_missing(model, "arch"):  # checked first: `in` is False for a missing (???) value
        raise ValueError("model.arch is required: pass model.arch=<run folder>/best_arch.json")
    if "arch" not in model:
        return
    path = model.arch
    if not isinstance(path, str):
        return
    arch = Arch.load(Path(path))
    space_cfg = model.get("net", {}).get("space") if isinstance(model.get("net"), Mapping) else None
    if space_cfg is None or not OmegaConf.is_dict(space_cfg) or "_target_" not in space_cfg:
        return
    space = hydra.utils.instantiate(space_cfg)
    try:
        space.validate(arch)
    except InvalidArchError as error:
        raise InvalidArchError(error.problems, source=str(path)) from None


def _matches(value: Any, hint: Any) -> bool:
    """Whether a config value (a plain value, list or mapping) can be an argument of type ``hint``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return True
    if origin is typing.Union or type(hint).__name__ == "UnionType":
        return any(_matches(value, arg) for arg in args)
    if origin is typing.Literal:
        return value in args
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if origin in (list, Sequence, typing.Sequence) or hint is list:
        return isinstance(value, (list, ListConfig))
    if origin in (dict, Mapping) or hint is dict:
        return isinstance(value, (dict, DictConfig))
    return not isinstance(value, (str, int, float, bool)) or value is None  # objects: not judged here


def _describe(hint: Any) -> str:
    args = typing.get_args(hint)
    if typing.get_origin(hint) is typing.Union:
        return " or ".join(_describe(arg) for arg in args)
    if typing.get_origin(hint) is typing.Literal:
        return " or ".join(repr(a) for a in args)
    return "None" if hint is type(None) else getattr(hint, "__name__", str(hint))

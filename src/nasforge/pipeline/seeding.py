"""One seed per training, from the run seed and what is trained, so that a model's result does not
depend on what the run did before it: a child run of an architecture reproduces the pipeline's
retrain of that architecture exactly, and a resumed pipeline retrains as an uninterrupted one."""

from __future__ import annotations

import hashlib
from pathlib import Path

import lightning as L
from omegaconf import DictConfig

from nasforge.core.arch import Arch
from nasforge.utils.pylogger import RankedLogger

__all__ = ["seed_training", "training_seed", "training_subject"]

log = RankedLogger(__name__)


def training_seed(run_seed: int, subject: str) -> int:
    """A seed in ``[0, 2**31)`` that depends only on ``run_seed`` and ``subject`` (stable across Python
    processes, unlike ``hash``)."""
    digest = hashlib.sha256(f"{run_seed}:{subject}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 2**31


def training_subject(model_cfg: DictConfig, default: str) -> str:
    """What a training trains: ``arch:<hash>`` for a model built from an architecture file (the same
    for a child run and a pipeline's retrain of that architecture), else ``default``."""
    arch = model_cfg.get("arch")
    if isinstance(arch, str) and Path(arch).is_file():
        return f"arch:{Arch.load(Path(arch)).hash}"
    return default


def seed_training(cfg: DictConfig, subject: str) -> None:
    """Seed every generator for the training of ``subject`` (weight init, batch order, dropout) from
    ``cfg.seed``; nothing when the run has no seed."""
    if cfg.get("seed") is None:
        return
    seed = training_seed(int(cfg.seed), subject)
    L.seed_everything(seed, workers=True, verbose=False)
    log.info(f"Seed {seed} for training {subject} (run seed {cfg.seed})")

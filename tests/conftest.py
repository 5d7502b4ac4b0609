"""Shared fixtures: the real configs, composed once per test and shrunk to CPU-sized runs."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, open_dict

from nasforge.utils.resolvers import register_resolvers

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONFIGS = PROJECT_ROOT / "configs"

os.environ.setdefault("PROJECT_ROOT", str(PROJECT_ROOT))
# Test networks and batches are tiny: one intra-op thread runs them fastest, and avoids the many-fold
# slowdown of oversubscribed threads when other jobs share the cores.
torch.set_num_threads(1)
# Tests never touch the network, whatever the user's W&B login.
os.environ["WANDB_MODE"] = "offline"
os.environ["WANDB_SILENT"] = "true"
register_resolvers()

#: rows of each generated dataset used by end-to-end tests
TINY_ROWS = 4000


@pytest.fixture(scope="session", autouse=True)
def kernel_point_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point convolutions read and store kernel placements in one folder per test session, not the
    user's cache."""
    kernel_points = importlib.import_module("nasforge.pointcloud.ops.kernel_points")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kernel_points, "DEFAULT_CACHE_DIR", tmp_path_factory.mktemp("kernel_points"))
        yield


@pytest.fixture(scope="session")
def shared_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data folder per test session, so generated samples and caches are made once."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture
def compose_train(tmp_path: Path, shared_data_dir: Path) -> Callable[..., DictConfig]:
    """Compose ``train.yaml`` with overrides, pointed at ``tmp_path`` and shrunk for the CPU: every
    search method runs its ``tiny`` profile unless the overrides name another."""

    def _compose(overrides: list[str], task: str = "train.yaml") -> DictConfig:
        GlobalHydra.instance().clear()
        if task == "train.yaml" and not any(o.startswith("profile=") for o in overrides):
            overrides = [*overrides, "profile=tiny"]
        with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
            cfg = compose(task, overrides=overrides, return_hydra_config=True)
        with open_dict(cfg):
            cfg.hydra.runtime.output_dir = str(tmp_path / "run")
            cfg.hydra.job.num = 0
            cfg.paths.output_dir = str(tmp_path / "run")
            cfg.paths.log_dir = str(tmp_path / "logs")
            cfg.paths.data_dir = str(shared_data_dir)
            cfg.trainer.accelerator = "cpu"
            cfg.trainer.devices = 1
            cfg.trainer.enable_progress_bar = False
            cfg.trainer.enable_model_summary = False
            if "data" in cfg and "synthetic_rows" in cfg.data:
                cfg.data.synthetic_rows = TINY_ROWS
                cfg.data.batch_size = 256
            if "data" in cfg and "synthetic_per_class" in cfg.data:
                cfg.data.synthetic_per_class = 20
                cfg.data.batch_size = 32
            if cfg.get("callbacks"):
                cfg.callbacks.pop("rich_progress_bar", None)
                cfg.callbacks.pop("model_summary", None)
        HydraConfig().set_config(cfg)
        return cfg

    yield _compose
    GlobalHydra.instance().clear()

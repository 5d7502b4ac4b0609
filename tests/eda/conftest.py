"""Fixtures for the EDA tests: a small generated routability layout, made once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from nasforge.eda.data import write_routability_sample

#: tiles of each client in the shared test layout
TILES = (10, 6, 5)


@pytest.fixture(scope="session")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("routability")
    write_routability_sample(root, TILES, size=16, seed=0)
    return root


@pytest.fixture
def model_cfg() -> dict:
    return {
        "_target_": "nasforge.lit.ChildModule",
        "task": {"_target_": "nasforge.tasks.routability.RoutabilityTask"},
        "net": {"_target_": "nasforge.eda.flnet.FLNet", "in_channels": 9, "hidden_channels": 8},
        "optimizer": {"_target_": "torch.optim.Adam", "_partial_": True, "lr": 0.01},
    }


@pytest.fixture
def data_cfg(layout: Path) -> dict:
    return {"_target_": "nasforge.eda.data.RoutabilityDataModule", "path": str(layout), "batch_size": 4}

"""Small raw files in each public format, written once per session by the synthetic generator."""

from __future__ import annotations

from pathlib import Path

import pytest

from nasforge.recsys.data.generate import write_avazu, write_criteo, write_criteo_terabyte_days, write_kdd

ROWS = 6000


@pytest.fixture(scope="session")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("raw")


@pytest.fixture(scope="session")
def criteo_file(raw_dir: Path) -> Path:
    return write_criteo(raw_dir / "criteo" / "train.txt", ROWS, seed=0)


@pytest.fixture(scope="session")
def avazu_file(raw_dir: Path) -> Path:
    return write_avazu(raw_dir / "avazu" / "train", ROWS, seed=0, days=3)


@pytest.fixture(scope="session")
def kdd_dir(raw_dir: Path) -> Path:
    write_kdd(raw_dir / "kdd", ROWS, seed=0)
    return raw_dir / "kdd"


@pytest.fixture(scope="session")
def terabyte_dir(raw_dir: Path) -> Path:
    write_criteo_terabyte_days(raw_dir / "terabyte", days=3, rows_per_day=2000, seed=0)
    return raw_dir / "terabyte"

"""Sample tables shared by the tabular tests, generated once per session in the published layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from nasforge.core.tabular import write_nasbench201_csv, write_nasbench_macro_json


@pytest.fixture(scope="session")
def nasbench201_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_nasbench201_csv(tmp_path_factory.mktemp("nb201") / "nasbench201.csv", seed=0)


@pytest.fixture(scope="session")
def nasbench_macro_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_nasbench_macro_json(tmp_path_factory.mktemp("macro") / "nas-bench-macro.json", seed=0)

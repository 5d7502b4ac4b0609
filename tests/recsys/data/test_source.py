from pathlib import Path

import pytest

from nasforge.recsys.data import CTRDataModule
from nasforge.recsys.data.source import resolve_source


def test_given_path_must_exist(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match=r"data.path=.*nope.txt does not exist"):
        resolve_source("criteo", str(tmp_path / "nope.txt"), None, 100, str(tmp_path), 0)


def test_default_path_wins_over_generation(tmp_path: Path):
    real = tmp_path / "train.txt"
    real.write_text("0\t" + "\t" * 38 + "\n")
    source = resolve_source("criteo", None, str(real), 100, str(tmp_path / "gen"), 0)
    assert source.path == str(real) and not source.generated
    assert not (tmp_path / "gen").exists()


def test_no_data_and_no_generation_is_a_clear_error(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="synthetic_rows"):
        resolve_source("avazu", None, str(tmp_path / "avazu" / "train"), None, str(tmp_path), 0)


@pytest.mark.parametrize("dataset", ["criteo", "avazu", "kdd", "criteo_terabyte"])
def test_generated_sample_is_written_once_and_flagged(tmp_path: Path, dataset: str):
    first = resolve_source(dataset, None, str(tmp_path / "absent"), 400, str(tmp_path / "gen"), 3)
    assert first.generated and "generated rows" in first.note
    assert Path(first.path).exists()
    stamp = Path(first.path).stat().st_mtime_ns
    second = resolve_source(dataset, None, str(tmp_path / "absent"), 400, str(tmp_path / "gen"), 3)
    assert second == first and Path(second.path).stat().st_mtime_ns == stamp
    assert not list((tmp_path / "gen").glob("*.tmp"))


def test_datamodule_reports_generated_source(tmp_path: Path):
    dm = CTRDataModule(
        dataset="criteo",
        default_path=str(tmp_path / "criteo" / "train.txt"),
        synthetic_rows=2000,
        synthetic_dir=str(tmp_path / "generated"),
        cache_dir=str(tmp_path / "processed"),
        progress=False,
    )
    dm.prepare_data()
    dm.setup("fit")
    info = dm.source_info()
    assert info["generated"] is True
    assert info["report"]["rows_read"] == 2000

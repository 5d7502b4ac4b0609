from pathlib import Path

import pytest

from nasforge.core.data_source import resolve_source


def _writer(calls: list):
    def write(folder: Path) -> None:
        calls.append(folder)
        (folder / "sample.bin").write_bytes(b"x")

    return write


def test_given_path_must_exist(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match=r"data.path=.*nope does not exist"):
        resolve_source("cifar10", str(tmp_path / "nope"), None, str(tmp_path), "s", _writer([]))


def test_default_path_wins_over_generation(tmp_path: Path):
    calls: list = []
    source = resolve_source("cifar10", None, str(tmp_path), str(tmp_path / "gen"), "s", _writer(calls))
    assert source.path == str(tmp_path) and not source.generated and not calls


def test_no_data_and_no_generation_is_a_clear_error(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match=r"set data\.synthetic_per_class"):
        resolve_source(
            "cifar10", None, str(tmp_path / "absent"), str(tmp_path), "s", None,
            generation_hint="set data.synthetic_per_class=<n>",
        )  # fmt: skip


def test_generated_sample_is_written_once_and_flagged(tmp_path: Path):
    calls: list = []
    first = resolve_source(
        "cifar10", None, str(tmp_path / "absent"), str(tmp_path / "gen"), "s1", _writer(calls)
    )
    second = resolve_source(
        "cifar10", None, str(tmp_path / "absent"), str(tmp_path / "gen"), "s1", _writer(calls)
    )
    assert first == second and first.generated and "planted signal" in first.note
    assert len(calls) == 1 and (Path(first.path) / "sample.bin").is_file()
    assert [p.name for p in (tmp_path / "gen").iterdir()] == ["s1"]


def test_a_sample_written_by_another_run_meanwhile_is_kept(tmp_path: Path):
    """Two runs that both find no sample write it at once; the second to finish keeps the first's."""
    gen = tmp_path / "gen"

    def other(folder: Path) -> None:
        (folder / "sample.bin").write_text("other")

    def write(folder: Path) -> None:
        if not (gen / "s1").exists():  # the other run finishes while this one is writing
            resolve_source("cifar10", None, None, str(gen), "s1", other)
        (folder / "sample.bin").write_text("mine")

    source = resolve_source("cifar10", None, None, str(gen), "s1", write)
    assert (Path(source.path) / "sample.bin").read_text() == "other"
    assert [p.name for p in gen.iterdir()] == ["s1"]

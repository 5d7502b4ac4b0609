"""Bad input names file, line and field, or is skipped and counted; never a silent wrong value."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from nasforge.recsys.data import DataFileError, MalformedRowError, preprocess
from nasforge.recsys.data.csv_stream import read_blocks
from nasforge.recsys.data.generate import write_avazu, write_kdd


def criteo_line(label: str = "1", dense: list[str] | None = None, cats: list[str] | None = None) -> str:
    """One hand-made Criteo line; by default dense values are 1 and categories ``0000000a``."""
    dense = dense if dense is not None else ["1"] * 13
    cats = cats if cats is not None else ["0000000a"] * 26
    return "\t".join([label, *dense, *cats])


def write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))
    return path


GOOD = criteo_line()


def _criteo_with(tmp_path: Path, bad_lines: dict[int, str], n: int = 300) -> Path:
    lines = [bad_lines.get(i, GOOD) for i in range(1, n + 1)]
    return write_lines(tmp_path / "train.txt", lines)


def _run(path: Path, tmp_path: Path, **kwargs):
    return preprocess("criteo", path, tmp_path / "cache", progress=False, block_size=4096, **kwargs)


CASES = [
    ("field count", criteo_line()[:-9], None, "expected 40 fields, found 39"),
    (
        "hex",
        criteo_line(cats=["0000000a"] * 6 + ["zz12"] + ["0000000a"] * 19),
        "C7",
        "'zz12' is not a hexadecimal",
    ),
    ("hex too long", criteo_line(cats=["123456789"] + ["0000000a"] * 25), "C1", "is not a hexadecimal"),
    ("dense", criteo_line(dense=["1", "1", "1.5"] + ["1"] * 10), "I3", "'1.5' is not an integer"),
    ("label", criteo_line(label="2"), "label", "'2' is not a 0/1 label"),
    ("missing label", criteo_line(label=""), "label", "is not a 0/1 label"),
    ("empty line", "", "label", "the line is empty"),
]


@pytest.mark.parametrize(("case", "line", "field", "message"), CASES, ids=[c[0] for c in CASES])
def test_malformed_row_names_file_line_field(
    tmp_path: Path, case: str, line: str, field: str, message: str
) -> None:
    path = _criteo_with(tmp_path, {217: line})
    with pytest.raises(MalformedRowError) as info:
        _run(path, tmp_path)
    err = info.value
    assert (err.path, err.line, err.field) == (str(path), 217, field)
    assert str(err).startswith(f"{path}:217: ")
    assert message in str(err)
    assert "on_bad_rows=skip" in str(err)
    assert not list((tmp_path / "cache").glob("*")), "a failed run leaves no cache folder"


def test_first_bad_line_wins_across_kinds(tmp_path: Path) -> None:
    hex_bad = criteo_line(cats=["0000000a"] * 25 + ["xyz"])
    path = _criteo_with(tmp_path, {250: hex_bad, 260: criteo_line()[:-9]})
    with pytest.raises(MalformedRowError) as info:
        _run(path, tmp_path)
    assert (info.value.line, info.value.field) == (250, "C26")
    path = _criteo_with(tmp_path, {250: criteo_line()[:-9], 260: hex_bad})
    with pytest.raises(MalformedRowError) as info:
        _run(path, tmp_path)
    assert (info.value.line, info.value.field) == (250, None)


def test_skip_counts_per_reason(tmp_path: Path) -> None:
    bad = {
        10: criteo_line()[:-9],
        20: criteo_line() + "\textra",
        30: criteo_line(cats=["0000000g"] + ["0000000a"] * 25),
        40: criteo_line(dense=["x"] * 13),
        50: criteo_line(label="7"),
        60: criteo_line(label="7", dense=["x"] * 13),  # counted once, under its first problem
    }
    path = _criteo_with(tmp_path, bad, n=300)
    info = _run(path, tmp_path, on_bad_rows="skip")
    report = info.report
    assert report["rows_read"] == 300
    assert report["rows_written"] == 294
    assert report["rows_skipped"] == {"field_count": 2, "categorical": 1, "dense": 1, "label": 2}
    assert sum(info.rows(p) for p in info.partitions) == 294


def test_line_numbers_stay_exact_after_dropped_lines(tmp_path: Path) -> None:
    lines = [f"{i}\tx" if i % 37 else f"{i}" for i in range(1, 2001)]  # every 37th line has 1 field
    path = write_lines(tmp_path / "numbers.txt", lines)
    seen = []
    for raw in read_blocks(path, ["n", "x"], delimiter="\t", block_size=1024):
        got = np.asarray(raw.batch.column("n").to_pylist(), dtype=np.int64)
        np.testing.assert_array_equal(raw.line_numbers(), got)
        seen += [b.line for b in raw.bad_lines]
    assert seen == list(range(37, 2001, 37))


def test_empty_file(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "train.txt", [])
    with pytest.raises(DataFileError, match="empty") as info:
        _run(path, tmp_path)
    assert info.value.path == str(path)


def test_missing_file_says_what_and_how(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"train.txt.*data\.path="):
        _run(tmp_path / "nowhere" / "train.txt", tmp_path)
    with pytest.raises(FileNotFoundError, match=r"data\.path="):
        preprocess("kdd", tmp_path / "nowhere", tmp_path / "cache", progress=False)


def test_all_rows_skipped_is_an_error(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "train.txt", [criteo_line(label="x")] * 5)
    with pytest.raises(DataFileError, match="all 5 rows were skipped"):
        _run(path, tmp_path, on_bad_rows="skip")


def test_avazu_header_and_hour(tmp_path: Path) -> None:
    path = write_avazu(tmp_path / "train", 50, seed=0, days=2)
    lines = path.read_text().splitlines()
    write_lines(path, [lines[0].replace("click", "clicks"), *lines[1:]])
    with pytest.raises(MalformedRowError, match="'clicks' where 'click'") as info:
        preprocess("avazu", path, tmp_path / "cache", progress=False)
    assert (info.value.line, info.value.field) == (1, "#2")
    fields = lines[7].split(",")
    fields[2] = "14103125"  # 25 o'clock
    write_lines(path, [*lines[:7], ",".join(fields), *lines[8:]])
    with pytest.raises(MalformedRowError, match="YYMMDDHH") as info:
        preprocess("avazu", path, tmp_path / "cache", progress=False)
    assert (info.value.line, info.value.field) == (8, "hour")


def test_kdd_profile_errors_name_the_profile(tmp_path: Path) -> None:
    training, profile = write_kdd(tmp_path / "kdd", 50, seed=0)
    lines = profile.read_text().splitlines()
    lines[3] = lines[3].split("\t")[0] + "\tmale\t3"
    write_lines(profile, lines)
    with pytest.raises(MalformedRowError) as info:
        preprocess("kdd", training, tmp_path / "cache", progress=False)
    assert (Path(info.value.path).name, info.value.line, info.value.field) == (
        "userid_profile.txt",
        4,
        "Gender",
    )


def test_error_pickles_with_its_fields() -> None:
    err = pickle.loads(pickle.dumps(MalformedRowError("a.txt", 3, "C1", "'x' is bad")))
    assert (err.path, err.line, err.field) == ("a.txt", 3, "C1")
    assert str(err).startswith("a.txt:3: field C1: 'x' is bad")

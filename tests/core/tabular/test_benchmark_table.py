"""Benchmark tables: strict readers whose errors name the file, the line or key and the field; the
table's queries; the published NAS-Bench-Macro file when it is present."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from nasforge.core.arch import Arch, InvalidArchError
from nasforge.core.tabular import (
    ArchNotInTableError,
    NASBench201Space,
    NASBenchMacroSpace,
    TableFormatError,
    read_nasbench201_csv,
    read_nasbench_macro,
)

CELL_A = "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|"
CELL_B = "|skip_connect~0|+|none~0|none~1|+|none~0|none~1|nor_conv_3x3~2|"
CELL_C = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
HEADER = "cellstr,val_acc,test_acc,params,flops"
COLUMNS = ("val_acc", "test_acc")
#: the published NAS-Bench-Macro table, kept outside the project (next to the repository, or given)
REAL_MACRO = Path(
    os.environ.get(
        "NASFORGE_NASBENCH_MACRO",
        Path(__file__).resolve().parents[3] / "../shared/data/nas-bench-macro/nas-bench-macro_cifar10.json",
    )
).resolve()


def write_csv(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "nb201.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def write_json(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "macro.json"
    path.write_text(text)
    return path


def macro_entry(mean: float = 90.0) -> dict:
    return {
        "test_acc": [mean - 0.1, mean, mean + 0.1],
        "mean_acc": mean,
        "std": 0.08,
        "params": 1e6,
        "flops": 4e7,
    }


@pytest.fixture
def small_table(tmp_path: Path):
    path = write_csv(
        tmp_path,
        HEADER,
        f"{CELL_A},80.5,81.0,0.5,50",
        f"{CELL_B},60.0,61.5,0.3,40",
        f"{CELL_C},10.0,10.0,0.07,7.8",
    )
    return read_nasbench201_csv(path, COLUMNS)


def assert_names(error: TableFormatError, path: Path, *fragments: str) -> None:
    message = str(error)
    assert str(path) in message, message
    for fragment in fragments:
        assert fragment in message, message


# -- NAS-Bench-201 CSV -----------------------------------------------------------------------------------
def test_reads_named_columns_as_floats_in_file_order(small_table):
    assert len(small_table) == 3 and small_table.metric_names == COLUMNS
    assert [a.genes for a in small_table.archs()] == [CELL_A, CELL_B, CELL_C]
    np.testing.assert_array_equal(small_table.values("test_acc"), [81.0, 61.5, 10.0])
    arch = Arch("nasbench201", 1, CELL_B)
    assert arch in small_table and CELL_B in small_table
    assert small_table.metrics(arch) == {"val_acc": 60.0, "test_acc": 61.5}


def test_malformed_cell_string_names_line_and_field(tmp_path: Path):
    bad = CELL_B.replace("|+|none~0|none~1|+", "|+|none~0|none~0|+")
    path = write_csv(tmp_path, HEADER, f"{CELL_A},1,2,3,4", f"{bad},1,2,3,4")
    with pytest.raises(TableFormatError) as error:
        read_nasbench201_csv(path, COLUMNS)
    assert_names(error.value, path, "line 3", "field 'cellstr'", "has input ~0, expected ~1")
    assert (error.value.line, error.value.field) == (3, "cellstr")


def test_missing_column_lists_the_columns_present(tmp_path: Path):
    path = write_csv(tmp_path, HEADER, f"{CELL_A},1,2,3,4")
    with pytest.raises(TableFormatError) as error:
        read_nasbench201_csv(path, ["test_acc", "latency"])
    assert_names(error.value, path, "line 1", "field 'latency'", "is missing", "'params'", "'flops'")


def test_duplicate_cell_names_both_lines(tmp_path: Path):
    path = write_csv(tmp_path, HEADER, f"{CELL_A},1,2,3,4", f"{CELL_B},1,2,3,4", f"{CELL_A},5,6,7,8")
    with pytest.raises(TableFormatError) as error:
        read_nasbench201_csv(path, COLUMNS)
    assert_names(error.value, path, "line 4", "field 'cellstr'", "given twice, on lines 2 and 4")


@pytest.mark.parametrize(
    ("value", "problem"), [("abc", "'abc' is not a number"), ("nan", "not a finite"), ("", "''")]
)
def test_bad_value_names_line_and_field(tmp_path: Path, value: str, problem: str):
    path = write_csv(tmp_path, HEADER, f"{CELL_A},1,2,3,4", f"{CELL_B},1,{value},3,4")
    with pytest.raises(TableFormatError) as error:
        read_nasbench201_csv(path, COLUMNS)
    assert_names(error.value, path, "line 3", "field 'test_acc'", problem)


def test_unread_columns_are_not_checked(tmp_path: Path):
    path = write_csv(tmp_path, HEADER, f"{CELL_A},1,2,n/a,4")
    assert read_nasbench201_csv(path, ["val_acc"]).metrics(Arch("nasbench201", 1, CELL_A)) == {"val_acc": 1.0}


@pytest.mark.parametrize(
    ("lines", "fragment"),
    [
        ((HEADER,), "no rows"),
        ((), "the file is empty"),
        ((HEADER, f"{CELL_A},1,2,3"), "line 2: has 4 fields, the header has 5"),
    ],
)
def test_empty_or_ragged_files_are_refused(tmp_path: Path, lines: tuple[str, ...], fragment: str):
    path = tmp_path / "nb201.csv"
    path.write_text("".join(line + "\n" for line in lines))
    with pytest.raises(TableFormatError) as error:
        read_nasbench201_csv(path, COLUMNS)
    assert_names(error.value, path, fragment)


def test_missing_file_is_named(tmp_path: Path):
    path = tmp_path / "absent.csv"
    with pytest.raises(TableFormatError, match="cannot open the file") as error:
        read_nasbench201_csv(path, COLUMNS)
    assert_names(error.value, path)


def test_bad_column_selection_is_refused(tmp_path: Path):
    path = write_csv(tmp_path, HEADER, f"{CELL_A},1,2,3,4")
    for columns in ([], ["val_acc", "val_acc"], ["cellstr"]):
        with pytest.raises(ValueError, match="column"):
            read_nasbench201_csv(path, columns)


# -- the table -----------------------------------------------------------------------------------------------
def test_arch_not_in_table_names_it_and_the_file(small_table):
    missing = NASBench201Space().make(["nor_conv_3x3"] * 6)
    with pytest.raises(ArchNotInTableError) as error:
        small_table.metrics(missing)
    assert isinstance(error.value, KeyError) and isinstance(error.value, ValueError)
    assert missing.genes in str(error.value) and str(small_table.source) in str(error.value)
    assert missing not in small_table


def test_malformed_or_foreign_arch_is_invalid_not_missing(small_table):
    with pytest.raises(InvalidArchError, match="unknown operation"):
        small_table.metrics(Arch("nasbench201", 1, CELL_A.replace("avg_pool_3x3", "max_pool")))
    with pytest.raises(InvalidArchError, match="space is 'other'"):
        small_table.metrics(Arch("other", 1, CELL_A))


def test_top_fraction_best_first_at_least_one(small_table):
    assert [a.genes for a in small_table.top_fraction("test_acc", 0.5)] == [CELL_A, CELL_B]
    assert [a.genes for a in small_table.top_fraction("test_acc", 0.01)] == [CELL_A]
    assert [a.genes for a in small_table.top_fraction("test_acc", 0.01, mode="min")] == [CELL_C]
    with pytest.raises(ValueError, match="fraction"):
        small_table.top_fraction("test_acc", 0.0)
    with pytest.raises(
        ValueError, match=r"metric 'flops' is not in the table .* has \['val_acc', 'test_acc'\]"
    ):
        small_table.values("flops")


def test_table_is_read_only(small_table):
    with pytest.raises(TypeError):
        small_table.rows[CELL_A] = {}  # type: ignore[index]
    with pytest.raises(TypeError):
        small_table.rows[CELL_A]["test_acc"] = 0.0  # type: ignore[index]
    answer = small_table.metrics(Arch("nasbench201", 1, CELL_A))
    answer["test_acc"] = 0.0
    assert small_table.metrics(Arch("nasbench201", 1, CELL_A))["test_acc"] == 81.0


# -- NAS-Bench-Macro JSON -----------------------------------------------------------------------------------
def test_reads_macro_entries(tmp_path: Path):
    path = write_json(tmp_path, json.dumps({"22212220": macro_entry(93.0), "00000000": macro_entry(45.0)}))
    table = read_nasbench_macro(path)
    assert isinstance(table.space, NASBenchMacroSpace) and table.metric_names == (
        "mean_acc",
        "std",
        "params",
        "flops",
    )
    assert table.metrics(Arch("nasbench-macro", 1, "22212220"))["mean_acc"] == 93.0


def test_json_syntax_error_names_line_and_column(tmp_path: Path):
    path = write_json(tmp_path, '{\n  "22212220": {"mean_acc": 93.0,}\n}')
    with pytest.raises(TableFormatError) as error:
        read_nasbench_macro(path)
    assert_names(error.value, path, "line 2", "not valid JSON", "column")


def test_duplicate_json_key_is_named(tmp_path: Path):
    entry = json.dumps(macro_entry())
    path = write_json(tmp_path, f'{{"22212220": {entry}, "00000000": {entry}, "22212220": {entry}}}')
    with pytest.raises(TableFormatError) as error:
        read_nasbench_macro(path)
    assert_names(error.value, path, "key '22212220'", "given twice")


@pytest.mark.parametrize(
    ("key", "change", "fragments"),
    [
        ("2221222x", {}, ("key '2221222x'", "layer 7: 'x'")),
        (
            "22212220",
            {"mean_acc": "93.1"},
            ("key '22212220'", "field 'mean_acc'", "expected a number, got str"),
        ),
        ("22212220", {"std": None}, ("field 'std'", "got NoneType")),
        ("22212220", {"flops": True}, ("field 'flops'", "got bool")),
        ("22212220", {"params": float("inf")}, ("field 'params'", "not a finite number")),
        ("22212220", {"test_acc": [93.0, 93.1]}, ("field 'test_acc'", "a list of 3 accuracies")),
        ("22212220", {"test_acc": [93.0, "x", 93.1]}, ("field 'test_acc[1]'",)),
    ],
)
def test_bad_macro_entry_names_key_and_field(
    tmp_path: Path, key: str, change: dict, fragments: tuple[str, ...]
):
    path = write_json(tmp_path, json.dumps({"00000000": macro_entry(), key: {**macro_entry(), **change}}))
    with pytest.raises(TableFormatError) as error:
        read_nasbench_macro(path)
    assert_names(error.value, path, *fragments)


def test_missing_macro_field_is_named(tmp_path: Path):
    entry = macro_entry()
    del entry["flops"]
    path = write_json(tmp_path, json.dumps({"22212220": entry}))
    with pytest.raises(TableFormatError) as error:
        read_nasbench_macro(path)
    assert_names(error.value, path, "key '22212220'", "field 'flops'", "missing")


@pytest.mark.parametrize(("text", "fragment"), [("[]", "expected a JSON object"), ("{}", "no entries")])
def test_macro_file_must_be_a_non_empty_object(tmp_path: Path, text: str, fragment: str):
    path = write_json(tmp_path, text)
    with pytest.raises(TableFormatError, match=fragment):
        read_nasbench_macro(path)


def test_published_macro_table_reads_when_present():
    if not REAL_MACRO.is_file():
        pytest.skip(f"the published NAS-Bench-Macro table is not at {REAL_MACRO}")
    table = read_nasbench_macro(REAL_MACRO)
    assert len(table) == 6561
    best = table.top_fraction("mean_acc", 1 / 6561)
    assert [a.genes for a in best] == ["22212220"]
    assert round(table.metrics(best[0])["mean_acc"], 2) == 93.13
    assert round(float(table.values("mean_acc").min()), 2) == 45.36


def test_a_json_table_given_as_csv_gets_a_short_error(nasbench_macro_json):
    with pytest.raises(TableFormatError) as caught:
        read_nasbench201_csv(nasbench_macro_json, ["val_acc"])
    message = str(caught.value)
    assert "is this a CSV file with a header line?" in message and len(message) < 1200

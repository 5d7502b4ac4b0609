"""Where a table comes from: the user's file, or a generated sample written once."""

from __future__ import annotations

from nasforge.core.tabular import read_nasbench_macro, write_nasbench_macro_json
from nasforge.core.tabular.source import open_table


def test_without_a_path_a_generated_table_is_written_once_and_read_through_the_reader(tmp_path):
    calls = []

    def write(path):
        calls.append(path)
        return write_nasbench_macro_json(path, seed=0)

    table, generated = open_table(read_nasbench_macro, None, tmp_path, "macro-seed0", "macro.json", write)
    again, _ = open_table(read_nasbench_macro, None, tmp_path, "macro-seed0", "macro.json", write)
    assert generated and len(table) == len(again) == 6561 and len(calls) == 1
    assert table.source == tmp_path / "macro-seed0" / "macro.json"
    users, generated = open_table(read_nasbench_macro, table.source, tmp_path, "x", "y", write)
    assert not generated and len(users) == 6561

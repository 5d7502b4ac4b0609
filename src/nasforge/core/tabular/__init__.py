"""Tabular benchmarks: categorical spaces, the NAS-Bench-201 and NAS-Bench-Macro spaces, their
published tables read strictly, an evaluator that answers from a table and counts queries, and
writers of sample tables in the published layouts."""

from typing import Any

from nasforge.core.tabular.categorical_space import CategoricalSpace
from nasforge.core.tabular.evaluator import TableEvaluator
from nasforge.core.tabular.nasbench201 import NASBench201Space, canonical_form, format_cell, parse_cell
from nasforge.core.tabular.nasbench_macro import NASBenchMacroSpace, parse_code
from nasforge.core.tabular.table import (
    ArchNotInTableError,
    BenchmarkTable,
    TableFormatError,
    read_nasbench201_csv,
    read_nasbench_macro,
)

__all__ = [
    "ArchNotInTableError",
    "BenchmarkTable",
    "CategoricalSpace",
    "NASBench201Space",
    "NASBenchMacroSpace",
    "TableEvaluator",
    "TableFormatError",
    "canonical_form",
    "format_cell",
    "nasbench201_signal",
    "nasbench_macro_signal",
    "parse_cell",
    "parse_code",
    "read_nasbench201_csv",
    "read_nasbench_macro",
    "write_nasbench201_csv",
    "write_nasbench_macro_json",
]

#: names of :mod:`nasforge.core.tabular.generate`, imported on first use so that
#: ``python -m nasforge.core.tabular.generate`` does not find its module already imported
_GENERATE = frozenset(
    {"nasbench201_signal", "nasbench_macro_signal", "write_nasbench201_csv", "write_nasbench_macro_json"}
)


def __getattr__(name: str) -> Any:
    if name in _GENERATE:
        from nasforge.core.tabular import generate

        return getattr(generate, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

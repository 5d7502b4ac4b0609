"""The table evaluator: answers by genes (sub-spaces included) and counts distinct queries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nasforge.core.arch import Arch, InvalidArchError
from nasforge.core.search.batch_evaluator import BatchEvaluator
from nasforge.core.tabular import ArchNotInTableError, TableEvaluator, read_nasbench_macro

MEANS = {"22212220": 93.1, "00000000": 45.4, "11111111": 90.2}


@pytest.fixture
def table(tmp_path: Path):
    path = tmp_path / "macro.json"
    entries = {
        code: {"test_acc": [mean] * 3, "mean_acc": mean, "std": 0.0, "params": 1e6, "flops": 2e7}
        for code, mean in MEANS.items()
    }
    path.write_text(json.dumps(entries))
    return read_nasbench_macro(path)


def macro(code: str, space: str = "nasbench-macro") -> Arch:
    return Arch(space, 1, code)


def test_is_a_batch_evaluator_and_callable(table):
    evaluator = TableEvaluator(table, metrics=["mean_acc"])
    assert isinstance(evaluator, BatchEvaluator)
    assert evaluator(macro("22212220")) == {"mean_acc": 93.1}
    assert evaluator.evaluate_batch([macro("00000000"), macro("11111111")]) == [
        {"mean_acc": 45.4},
        {"mean_acc": 90.2},
    ]
    assert TableEvaluator(table)(macro("00000000")).keys() == {"mean_acc", "std", "params", "flops"}


def test_counts_distinct_architectures_once(table):
    evaluator = TableEvaluator(table)
    evaluator(macro("22212220"))
    evaluator.evaluate_batch([macro("11111111"), macro("22212220"), macro("11111111")])
    evaluator(macro("22212220"))
    assert evaluator.queries == 2
    assert list(evaluator.queried) == ["22212220", "11111111"]
    view = evaluator.queried
    evaluator.reset()
    assert evaluator.queries == 0 and len(view) == 0


def test_queried_is_read_only(table):
    evaluator = TableEvaluator(table)
    evaluator(macro("22212220"))
    with pytest.raises(TypeError):
        evaluator.queried[0] = "00000000"  # type: ignore[index]


def test_answers_an_arch_of_another_space_with_the_same_genes(table):
    evaluator = TableEvaluator(table, metrics=["mean_acc"])
    sub = macro("22212220", space="nasbench-macro~shrunk-1a2b3c4d")
    assert evaluator(sub) == {"mean_acc": 93.1}
    evaluator(macro("22212220"))
    assert evaluator.queries == 1


def test_failed_batches_count_nothing(table):
    evaluator = TableEvaluator(table)
    with pytest.raises(ArchNotInTableError, match=r"'22222222'.*not in the table read from .*macro\.json"):
        evaluator.evaluate_batch([macro("22212220"), macro("22222222")])
    with pytest.raises(InvalidArchError, match="layer 3: '9'"):
        evaluator(macro("22292220", space="nasbench-macro~pruned-00000000"))
    assert evaluator.queries == 0


def test_unknown_metrics_are_refused(table):
    with pytest.raises(ValueError, match=r"\['latency'\] must be a non-empty selection"):
        TableEvaluator(table, metrics=["latency"])

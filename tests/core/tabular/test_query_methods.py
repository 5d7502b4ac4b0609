"""Search methods under a query budget, compared on a generated table through the real reader."""

from __future__ import annotations

import json
from pathlib import Path

import hydra
import numpy as np
import pytest

from nasforge.core.history import History
from nasforge.core.search import RandomSearch, RegularizedEvolution
from nasforge.core.search.subspace import load_subspace
from nasforge.core.tabular import TableEvaluator, read_nasbench_macro
from nasforge.core.tabular.compare import best_found_curve, compare_methods, compare_shrinkers
from nasforge.core.tabular.methods import QueryTask, ShrinkThenSearch, StrategySearch

BUDGET = 40


@pytest.fixture(scope="module")
def table(nasbench_macro_json: Path):
    return read_nasbench_macro(nasbench_macro_json)


@pytest.fixture
def configured_methods(compose_train):
    cfg = compose_train(["experiment=search_nasbench_macro"])
    return hydra.utils.instantiate(cfg.pipeline.methods, _convert_="all")


def test_every_configured_method_spends_exactly_its_budget_of_distinct_queries(
    table, configured_methods, tmp_path
):
    assert {"random", "regularized_evolution", "mh_es", "predictor_mh_es", "lissnas_random"} <= set(
        configured_methods
    )
    for name, method in configured_methods.items():
        evaluator = TableEvaluator(table)
        method.run(QueryTask(table.space, evaluator, tmp_path / name, BUDGET, 0, "mean_acc", "max"))
        assert evaluator.queries == BUDGET, name
        assert len(set(evaluator.queried)) == len(evaluator.queried) == BUDGET, name


def test_search_after_shrinking_stays_inside_and_opens_with_the_shrinkage_evaluations(table, tmp_path):
    method = ShrinkThenSearch(RegularizedEvolution(population_size=6, sample_size=2), samples_per_round=8)
    evaluator = TableEvaluator(table)
    method.run(QueryTask(table.space, evaluator, tmp_path, BUDGET, 3, "mean_acc", "max"))
    shrunk = load_subspace(tmp_path / "shrunk_space.json", table.space)
    search = History(tmp_path / "history.jsonl")
    shrink = History(tmp_path / "shrink.jsonl")
    assert all(e.arch.space == shrunk.name and shrunk.contains(e.arch) for e in search)
    warm = [e for e in shrink if shrunk.contains(e.arch)]
    assert warm and [e.arch.genes for e in search.entries[: len(warm)]] == sorted(
        (e.arch.genes for e in warm), key=lambda g: table.rows[g]["mean_acc"]
    )
    assert evaluator.queries == BUDGET  # the shrinkage's queries count; meeting them again does not


def test_best_found_reports_the_test_metric_of_the_best_by_the_search_metric(tmp_path):
    from nasforge.core.tabular import read_nasbench201_csv

    space_cells = [
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    ]
    space_cells += ["|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"]
    space_cells += [
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"
    ]
    path = tmp_path / "nb201.csv"
    path.write_text(
        "cellstr,val_acc,test_acc\n"
        + "\n".join(f"{c},{v},{t}" for c, v, t in zip(space_cells, (80, 10, 85), (70, 10, 90), strict=True))
        + "\n"
    )
    table = read_nasbench201_csv(path, ["val_acc", "test_acc"])
    curve = best_found_curve(
        table, [space_cells[1], space_cells[0], space_cells[2]], "val_acc", "test_acc", "max", 4
    )
    assert curve.tolist() == [10.0, 70.0, 90.0, 90.0]  # test of the best by validation; kept past the end


def test_a_comparison_resumes_at_the_run_that_was_cut_off(table, tmp_path):
    calls: list[int] = []

    class Counted(StrategySearch):
        def run(self, task):
            calls.append(task.seed)
            super().run(task)

    methods = {"random": Counted(RandomSearch())}
    first = compare_methods(
        table, methods, tmp_path, BUDGET, [0, 1, 2], "mean_acc", "mean_acc", progress=False
    )
    (tmp_path / "random" / "seed_1" / "queries.json").unlink()  # seed 1 was cut off mid-run
    calls.clear()
    again = compare_methods(
        table, methods, tmp_path, BUDGET, [0, 1, 2], "mean_acc", "mean_acc", progress=False
    )
    assert calls == [1]
    np.testing.assert_array_equal(first["random"].curves, again["random"].curves)
    queried = json.loads((tmp_path / "random" / "seed_1" / "queries.json").read_text())["queries"]
    assert len(queried) == BUDGET


def test_regularized_evolution_beats_random_search_on_the_generated_table(table, tmp_path):
    methods = {
        "random": StrategySearch(RandomSearch()),
        "regularized_evolution": StrategySearch(RegularizedEvolution(population_size=10, sample_size=3)),
    }
    results = compare_methods(table, methods, tmp_path, 100, range(8), "mean_acc", "mean_acc", progress=False)
    assert results["regularized_evolution"].final.mean() > results["random"].final.mean()


def test_shrinkers_spend_the_same_evaluations_and_report_sizes_within_the_parent(table, tmp_path):
    summaries = compare_shrinkers(
        table, tmp_path, [0, 1], "mean_acc", samples_per_round=10, num_seeds=3, radius=2
    )
    lissnas, pruning = summaries["lissnas"], summaries["operation_pruning"]
    np.testing.assert_array_equal(lissnas.queries, pruning.queries)
    assert (pruning.sizes >= lissnas.sizes).all()  # pruning stops at LISSNAS's size
    assert ((lissnas.shrink_index > 0) & (lissnas.shrink_index < 1)).all()


def test_lissnas_then_search_never_spends_more_than_its_budget(table, tmp_path):
    method = ShrinkThenSearch(RandomSearch(), samples_per_round=10, max_rounds=3)
    evaluator = TableEvaluator(table)
    method.run(QueryTask(table.space, evaluator, tmp_path / "a", 40, 0, "mean_acc", "max"))
    assert len(History(tmp_path / "a" / "shrink.jsonl")) == 20  # two rounds, leaving two to the search
    assert evaluator.queries == 40
    with pytest.raises(ValueError, match="at least 40"):
        method.run(QueryTask(table.space, TableEvaluator(table), tmp_path / "b", 15, 0, "mean_acc", "max"))


def test_a_finished_run_made_with_other_settings_is_run_again(table, tmp_path):
    methods = {"random": StrategySearch(RandomSearch())}
    compare_methods(table, methods, tmp_path, 20, [0], "mean_acc", "mean_acc", progress=False)
    longer = compare_methods(table, methods, tmp_path, 30, [0], "mean_acc", "mean_acc", progress=False)
    assert longer["random"].queries.tolist() == [30]

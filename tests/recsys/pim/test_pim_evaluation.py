"""Scoring PIM architectures: costs beside inherited accuracy, the objective, and energy budgets."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nasforge.core.history import History
from nasforge.core.search import RegularizedEvolution, run_search
from nasforge.recsys.nasrec import NASRecSupernet, full_space
from nasforge.recsys.pim import PIMEvaluator, PIMSpace, PIMSupernet, pim_objective
from nasforge.stages import SearchStage

VOCAB = [7, 5, 9, 4, 6]


def data(rows: int, seed: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    sparse = torch.stack([torch.randint(0, v, (rows,), generator=g) for v in VOCAB], dim=1)
    dense = torch.randn(rows, 3, generator=g)
    return {"dense": dense, "sparse": sparse, "label": (dense[:, 0] > 0).float()}


@pytest.fixture(scope="module")
def evaluator() -> PIMEvaluator:
    torch.manual_seed(0)
    space = PIMSpace(full_space(num_blocks=3, dense_widths=(8, 16, 32), sparse_widths=(4, 8)))
    supernet = PIMSupernet(space, 3, VOCAB, embedding_dim=8)
    inputs = torch.zeros(1, 3), torch.zeros(1, len(VOCAB), dtype=torch.long)
    return PIMEvaluator(
        supernet, data(256, 0), data(256, 1), finetune_steps=3, energy_weight=0.05, example_inputs=inputs
    )


def test_metrics_hold_accuracy_costs_and_the_objective(evaluator):
    arch = evaluator.supernet.space.sample(np.random.default_rng(0))
    metrics = evaluator(arch)
    assert {"logloss", "auc", "flops", "params", "energy_pj", "latency_ns", "area_mm2"} <= set(metrics)
    expected = pim_objective(metrics["logloss"], metrics["energy_pj"], metrics["latency_ns"], 0.05, 0.0)
    assert metrics["pim_objective"] == pytest.approx(expected)
    assert evaluator(arch) == metrics  # deterministic, so a resumed search reproduces it


def test_a_search_under_an_energy_budget_evaluates_nothing_over_it(evaluator, tmp_path):
    space = evaluator.supernet.space
    energies = [evaluator.cost(space.sample(np.random.default_rng(s)))["energy_pj"] for s in range(20)]
    limit = float(np.median(energies))  # half of the space is over it
    stage = SearchStage(strategy=None, evaluator=None, budget=8, cost_limits={"energy_pj": limit})
    strategy = RegularizedEvolution(population_size=4, sample_size=2, children_per_generation=2, seed=0)
    history = History(tmp_path / "history.jsonl")
    run_search(space, strategy, evaluator, history, 8, "logloss", "min", stage._constraint(evaluator), False)
    assert len(history) == 8 and all(e.metrics["energy_pj"] <= limit for e in history)
    assert sum(e.extra.get("rejected", 0) for e in history) > 0


def test_the_evaluator_needs_a_pim_supernet_and_sane_weights(evaluator):
    plain = NASRecSupernet(full_space(num_blocks=2, dense_widths=(8,), sparse_widths=(4,)), 3, VOCAB, 8)
    with pytest.raises(TypeError, match="PIMEvaluator: supernet must be a PIMSupernet, got NASRecSupernet"):
        PIMEvaluator(plain, data(8, 0), data(8, 1), example_inputs=())
    with pytest.raises(ValueError, match="energy_weight must be >= 0, got -1"):
        PIMEvaluator(evaluator.supernet, data(8, 0), data(8, 1), energy_weight=-1, example_inputs=())

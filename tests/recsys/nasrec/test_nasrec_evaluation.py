"""Scoring subnets on inherited weights: deterministic, fine-tuning helps, costs, bad weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nasforge.core.arch import thaw
from nasforge.recsys.nasrec import NASRecSupernet, SubnetEvaluator, full_space, take_rows

VOCAB = [20, 15, 30, 10]


def learnable(rows: int, seed: int) -> dict[str, torch.Tensor]:
    """A label that depends on one categorical feature and one dense feature."""
    g = torch.Generator().manual_seed(seed)
    sparse = torch.stack([torch.randint(0, v, (rows,), generator=g) for v in VOCAB], dim=1)
    dense = torch.randn(rows, 2, generator=g)
    logit = 2.0 * (sparse[:, 0] % 2).float() - 1.0 + dense[:, 0]
    label = (torch.rand(rows, generator=g) < torch.sigmoid(logit)).float()
    return {"dense": dense, "sparse": sparse, "label": label}


@pytest.fixture(scope="module")
def setup():
    torch.manual_seed(0)
    space = full_space(num_blocks=3, dense_widths=(8, 16), sparse_widths=(4, 8))
    supernet = NASRecSupernet(space, 2, VOCAB, embedding_dim=8)
    return space, supernet, learnable(1024, 0), learnable(1024, 1)


def fc_arch(space, width: int = 16):
    genes = thaw(space.sample(np.random.default_rng(0)).genes)
    for b in genes["blocks"]:
        b.update(dense_op="fc", dense_right=[], dense_width=width, dense_left=[0])
    return space.sample(np.random.default_rng(0)).with_genes(genes)


def test_scores_are_deterministic_and_fine_tuning_the_final_layer_helps(setup):
    space, supernet, train, val = setup
    arch = fc_arch(space)
    tuned = SubnetEvaluator(
        supernet, train, val, finetune_steps=200, finetune_batch_size=128, finetune_lr=0.2
    )
    untuned = SubnetEvaluator(supernet, train, val, finetune_steps=0)
    first = tuned(arch)
    assert tuned(arch) == first
    assert first["logloss"] < untuned.score(arch)["logloss"]
    assert {"logloss", "auc", "flops", "params"} <= set(first)
    # fine-tuning works on copies: the supernet's head is untouched
    assert untuned.score(arch) == SubnetEvaluator(supernet, train, val, finetune_steps=0).score(arch)


def test_costs_grow_with_width_and_come_from_the_child(setup):
    space, supernet, train, val = setup
    evaluator = SubnetEvaluator(supernet, train, val, finetune_steps=0)
    narrow, wide = evaluator.cost(fc_arch(space, 8)), evaluator.cost(fc_arch(space, 16))
    assert wide["flops"] > narrow["flops"] > 0 and wide["params"] > narrow["params"]
    child = supernet.child(fc_arch(space, 8))
    dense_params = sum(p.numel() for n, p in child.named_parameters() if not n.startswith("embedding"))
    assert narrow["params"] == dense_params


def test_take_rows_concatenates_batches_and_stops_at_the_count():
    batches = [{"label": torch.full((4,), float(i)), "x": torch.arange(4) + 4 * i} for i in range(3)]
    rows = take_rows(batches, 6)
    assert rows["x"].tolist() == [0, 1, 2, 3, 4, 5]
    assert len(take_rows(batches, 100)["label"]) == 12
    with pytest.raises(ValueError, match="empty"):
        take_rows([], 5)


def test_a_one_class_validation_subset_is_refused(setup):
    _, supernet, train, val = setup
    negatives = {**val, "label": torch.zeros_like(val["label"])}
    with pytest.raises(ValueError, match=r"hold one class only \(0 positives\)"):
        SubnetEvaluator(supernet, train, negatives)

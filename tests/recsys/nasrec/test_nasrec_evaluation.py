"""Scoring subnets on inherited weights: deterministic, fine-tuning helps, costs, bad weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nasforge.core.arch import thaw
from nasforge.recsys.nasrec import NASRecSupernet, SubnetEvaluator, evaluator_from_data, full_space, take_rows

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


class _Splits:
    """The two splits of a CTR datamodule as the evaluator reads them: datasets of batch dicts."""

    def __init__(self, train: dict[str, torch.Tensor], val: dict[str, torch.Tensor], batch: int = 256):
        self.data_train, self.data_val = _batches(train, batch), _batches(val, batch)


def _batches(rows: dict[str, torch.Tensor], size: int) -> list[dict[str, torch.Tensor]]:
    count = len(rows["label"])
    return [{k: v[i : i + size] for k, v in rows.items()} for i in range(0, count, size)]


def _remembering(rows: int, seed: int, first_id: int) -> dict[str, torch.Tensor]:
    """Labels of pure noise, and a field that gives every row an id of its own: a network can only
    remember them."""
    g = torch.Generator().manual_seed(seed)
    sparse = torch.randint(0, min(VOCAB), (rows, len(VOCAB)), generator=g)
    sparse[:, 0] = torch.arange(first_id, first_id + rows)
    return {
        "dense": torch.randn(rows, 2, generator=g),
        "sparse": sparse,
        "label": (torch.rand(rows, generator=g) < 0.3).float(),
    }


def test_validation_fine_tuning_uses_held_out_validation_rows_only(setup):
    _, supernet, train, val = setup
    evaluator = evaluator_from_data(
        supernet, _Splits(train, val), finetune_rows=300, eval_rows=500, finetune_on="validation"
    )
    assert torch.equal(evaluator.eval_data["sparse"], val["sparse"][:500])
    assert torch.equal(evaluator.finetune_data["sparse"], val["sparse"][500:800])
    nasrec = evaluator_from_data(supernet, _Splits(train, val), finetune_rows=300, eval_rows=500)
    assert torch.equal(nasrec.finetune_data["sparse"], train["sparse"][:300])
    assert torch.equal(nasrec.eval_data["sparse"], val["sparse"][:500])


def test_a_short_validation_split_is_shared_in_proportion_and_a_tiny_one_refused(setup, caplog):
    _, supernet, train, val = setup
    with caplog.at_level("WARNING"):
        evaluator = evaluator_from_data(
            supernet, _Splits(train, val), finetune_rows=1024, eval_rows=1024, finetune_on="validation"
        )
    assert len(evaluator.eval_data["label"]) == len(evaluator.finetune_data["label"]) == 512
    assert "scored on 512 and fine-tuned on 512" in caplog.text
    one_row = {k: v[:1] for k, v in val.items()}
    with pytest.raises(ValueError, match="holds 1 rows, too few"):
        evaluator_from_data(
            supernet, _Splits(train, one_row), finetune_rows=8, eval_rows=8, finetune_on="validation"
        )
    with pytest.raises(ValueError, match="finetune_on must be one of"):
        evaluator_from_data(supernet, _Splits(train, val), finetune_on="test")


def test_a_head_tuned_on_remembered_rows_is_overconfident_and_one_tuned_on_held_out_rows_is_not():
    torch.manual_seed(0)
    space = full_space(num_blocks=2, dense_widths=(16,), sparse_widths=(8,))
    train, val = _remembering(512, 0, first_id=0), _remembering(1024, 1, first_id=512)
    supernet = NASRecSupernet(space, 2, [1536, *VOCAB[1:]], embedding_dim=8, sparse_grad=False)
    genes = thaw(space.sample(np.random.default_rng(0)).genes)
    for number, block in enumerate(genes["blocks"]):  # FC over the dense stream and the fields' EFC
        block.update(dense_op="fc", dense_left=[number], dense_right=[], sparse_op="efc", sparse_in=[number])
        block.update(dense_to_sparse=False, sparse_to_dense=True)
    arch = space.sample(np.random.default_rng(0)).with_genes(genes)
    optimizer = torch.optim.Adam(supernet.parameters(), lr=0.02)
    for _ in range(300):  # the supernet remembers the training rows' noise
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            supernet(train["dense"], train["sparse"], arch), train["label"]
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.3
    splits = _Splits(train, val)
    settings = {"finetune_rows": 512, "eval_rows": 512, "finetune_steps": 200, "finetune_batch_size": 128}
    on_train = evaluator_from_data(supernet, splits, finetune_on="train", **settings).score(arch)
    held_out = evaluator_from_data(supernet, splits, finetune_on="validation", **settings).score(arch)
    rate = val["label"][:512].mean()
    click_rate_logloss = -(rate * rate.log() + (1 - rate) * (1 - rate).log()).item()
    assert on_train["logloss"] > click_rate_logloss + 1.0
    assert held_out["logloss"] < click_rate_logloss + 0.05

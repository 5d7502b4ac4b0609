"""The NASRec supernet: exact child extraction, paths of every sampler, operator balancing, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nasforge.core.arch import Arch, InvalidArchError, thaw
from nasforge.recsys.nasrec import (
    AnyPath,
    NASRecNet,
    NASRecSupernet,
    SinglePath,
    balanced_dot_rows,
    full_path,
    full_space,
    path_from_arch,
    small_space,
)

VOCAB = [7, 5, 9, 4, 6]


def tiny_full(**overrides):
    return full_space(num_blocks=4, dense_widths=(8, 16, 32), sparse_widths=(4, 8), **overrides)


def batch(num_dense: int = 3, rows: int = 16, seed: int = 0) -> tuple[torch.Tensor | None, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    dense = torch.randn(rows, num_dense, generator=g) if num_dense else None
    sparse = torch.stack([torch.randint(0, v, (rows,), generator=g) for v in VOCAB], dim=1)
    return dense, sparse


@pytest.mark.parametrize("num_dense", [3, 0])
@pytest.mark.parametrize("make_space", [tiny_full, lambda: small_space(num_blocks=3, dense_widths=(8, 16))])
def test_child_computes_exactly_what_the_supernet_computes_on_its_path(make_space, num_dense):
    torch.manual_seed(0)
    space = make_space()
    supernet = NASRecSupernet(space, num_dense, VOCAB, embedding_dim=8)
    dense, sparse = batch(num_dense)
    rng = np.random.default_rng(0)
    for _ in range(25):
        arch = space.sample(rng)
        child = supernet.child(arch)
        expected = supernet(dense, sparse, arch)
        assert torch.equal(child(dense, sparse), expected)
        # the child owns only its own weights: no parameter of an operator it does not use
        used_ops = {op for b in arch.genes["blocks"] for op in (b["dense_op"], b["sparse_op"])}
        if "attention" not in used_ops:
            assert not any("att_" in name for name, _ in child.named_parameters())


def test_child_is_independent_of_the_supernet_after_extraction():
    space = tiny_full()
    supernet = NASRecSupernet(space, 3, VOCAB, embedding_dim=8)
    arch = space.sample(np.random.default_rng(1))
    child = supernet.child(arch)
    dense, sparse = batch()
    before = child(dense, sparse).detach().clone()
    with torch.no_grad():
        for p in supernet.parameters():
            p.add_(1.0)
    assert torch.equal(child(dense, sparse), before)


def test_a_narrow_path_reads_a_narrow_slice_and_trains_only_what_it_uses():
    space = tiny_full()
    supernet = NASRecSupernet(space, 3, VOCAB, embedding_dim=8, sparse_grad=False)
    genes = thaw(space.sample(np.random.default_rng(2)).genes)
    for b in genes["blocks"]:
        b.update(dense_op="fc", dense_right=[], dense_width=8)
    arch = Arch(space.name, space.version, genes)
    dense, sparse = batch()
    supernet(dense, sparse, arch).sum().backward()
    fc = supernet.blocks[3]["fc_weight"]
    assert fc.grad is not None and fc.grad[8:].abs().sum() == 0 and fc.grad[:8].abs().sum() > 0
    assert supernet.blocks[0]["gate_left_weight"].grad is None


@pytest.mark.parametrize("sampler", [SinglePath, AnyPath])
def test_every_sampler_path_runs_forward_and_backward(sampler):
    space = tiny_full()
    supernet = NASRecSupernet(space, 3, VOCAB, embedding_dim=8)
    dense, sparse = batch()
    rng = np.random.default_rng(3)
    for _ in range(10):
        out = supernet(dense, sparse, sampler(space).sample(rng))
        assert out.shape == (16,) and torch.isfinite(out).all()
        out.sum().backward()
    full = supernet(dense, sparse)
    assert full.shape == (16,) and torch.isfinite(full).all()


def test_single_path_has_one_operator_and_one_source_per_list():
    space = tiny_full()
    rng = np.random.default_rng(4)
    for _ in range(200):
        for b in SinglePath(space).sample(rng):
            assert len(b.dense_ops) == len(b.sparse_ops) == 1
            assert len(b.dense_left) == len(b.sparse_in) == 1
            assert len(b.dense_right) == (1 if b.is_binary else 0)


def test_single_operator_any_connection_counts_are_one_plus_binomial():
    space = full_space(num_blocks=7, max_inputs=3, connection_k=2)
    rng = np.random.default_rng(5)
    counts = [len(space.sample(rng).genes["blocks"][6]["dense_left"]) for _ in range(4000)]
    # 1 + Binomial(2, 0.5): 1, 2, 3 with probabilities 1/4, 1/2, 1/4
    freq = np.bincount(counts, minlength=4)[1:] / len(counts)
    np.testing.assert_allclose(freq, [0.25, 0.5, 0.25], atol=0.03)


def test_any_path_keeps_each_operator_with_probability_one_half():
    space = full_space(num_blocks=2)
    rng = np.random.default_rng(6)
    sampler = AnyPath(space)
    paths = [sampler.sample(rng) for _ in range(3000)]
    ops = [b.dense_ops for p in paths for b in p]
    assert all(ops_ for ops_ in ops)
    for op in space.dense_ops:
        share = np.mean([op in o for o in ops])
        # kept with p = 1/2, plus the draws where an empty set was refilled with one operator
        assert 0.5 <= share <= 0.5 + 1 / 2 ** len(space.dense_ops) + 0.03


def test_full_path_turns_everything_on():
    space = tiny_full()
    for i, b in enumerate(full_path(space)):
        assert set(b.dense_ops) == set(space.dense_ops) - {"zero"}
        assert b.dense_left == b.dense_right == b.sparse_in == tuple(range(i + 1))
        assert b.dense_width == 32 and b.sparse_width == 8 and b.dense_to_sparse and b.sparse_to_dense


def test_path_from_arch_matches_the_genes():
    space = tiny_full()
    arch = space.sample(np.random.default_rng(7))
    for b, genes in zip(path_from_arch(arch), arch.genes["blocks"], strict=True):
        assert b.dense_ops == (genes["dense_op"],) and b.dense_width == genes["dense_width"]
        assert b.sparse_in == tuple(genes["sparse_in"])


def test_operator_balancing_sizes_the_dot_product_like_the_widest_fc():
    assert balanced_dot_rows(1024) == 46  # 46 * 45 / 2 = 1035 >= 1024 > 45 * 44 / 2
    assert balanced_dot_rows(128) == 17
    for width in (16, 100, 512, 768, 1024):
        m = balanced_dot_rows(width)
        assert m * (m - 1) // 2 >= width > (m - 1) * (m - 2) // 2
    space = tiny_full()
    supernet = NASRecSupernet(space, 3, VOCAB, embedding_dim=8)
    assert supernet.blocks[0]["dot_rows_weight"].shape[0] == balanced_dot_rows(32)
    genes = thaw(space.sample(np.random.default_rng(8)).genes)
    for b in genes["blocks"]:
        b.update(
            dense_op="dot_product", dense_right=[], dense_width=16, sparse_width=4, dense_to_sparse=False
        )
    features = supernet.forward_features(*batch(), Arch(space.name, space.version, genes))
    assert features.shape == (16, 16 + 4 * 8)  # the dense output, then the last block's 4 rows of 8
    with pytest.raises(ValueError, match="dot_rows=4 gives 6 pairwise products"):
        NASRecSupernet(space, 3, VOCAB, embedding_dim=8, dot_rows=4)


def test_layernorm_follows_each_operator():
    space = tiny_full()
    supernet = NASRecSupernet(space, 3, VOCAB, embedding_dim=8)
    genes = thaw(space.sample(np.random.default_rng(9)).genes)
    for b in genes["blocks"]:
        b.update(dense_op="sum", dense_right=[0], sparse_to_dense=False)
    width = genes["blocks"][-1]["dense_width"]
    features = supernet.forward_features(*batch(rows=64), Arch(space.name, space.version, genes))[:, :width]
    # fresh norm parameters: zero mean and unit variance over the width
    torch.testing.assert_close(features.mean(-1), torch.zeros(64), atol=1e-5, rtol=0)
    torch.testing.assert_close(features.var(-1, unbiased=False), torch.ones(64), atol=1e-3, rtol=0)
    # FC normalises before its ReLU: non-negative, about half of the units active
    genes["blocks"][-1].update(dense_op="fc", dense_right=[])
    fc = supernet.forward_features(*batch(rows=64), Arch(space.name, space.version, genes))[:, :width]
    assert (fc >= 0).all() and 0.3 < (fc > 0).float().mean() < 0.7


def test_supernet_on_a_fixed_path_overfits_a_tiny_batch():
    torch.manual_seed(0)
    space = tiny_full()
    supernet = NASRecSupernet(space, 3, VOCAB, embedding_dim=8, sparse_grad=False)
    arch = space.sample(np.random.default_rng(10))
    genes = thaw(arch.genes)
    genes["blocks"][-1].update(dense_op="fc", dense_right=[])
    arch = arch.with_genes(genes)
    dense, sparse = batch(rows=32)
    label = (torch.arange(32) % 2).float()
    optimizer = torch.optim.Adam(supernet.parameters(), lr=0.01)
    losses = []
    for _ in range(60):
        loss = F.binary_cross_entropy_with_logits(supernet(dense, sparse, arch), label)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_child_from_an_invalid_or_unreadable_arch_file_is_a_clear_error(tmp_path):
    space = tiny_full()
    arch = space.sample(np.random.default_rng(11))
    genes = thaw(arch.genes)
    genes["blocks"][0]["dense_width"] = 12
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(Arch(space.name, space.version, genes).to_dict()))
    with pytest.raises(InvalidArchError, match=r"dense_width = 12 is not one of"):
        NASRecNet(str(bad), space, 3, VOCAB)
    broken = tmp_path / "broken.json"
    broken.write_text('{"space": "nasrec-full", "genes": ')
    with pytest.raises(InvalidArchError, match=r"broken\.json"):
        NASRecNet(str(broken), space, 3, VOCAB)
    with pytest.raises(InvalidArchError, match="space is 'nasrec-full'"):
        NASRecNet(full_space().sample(np.random.default_rng(0)), space, 3, VOCAB)


def test_supernet_rejects_a_malformed_path():
    supernet = NASRecSupernet(tiny_full(), 3, VOCAB, embedding_dim=8)
    with pytest.raises(InvalidArchError, match="must be 4 BlockPath"):
        supernet(*batch(), path=("not", "a", "path"))


def test_the_head_reads_the_last_blocks_sparse_rows_where_the_full_path_puts_them():
    torch.manual_seed(0)
    space = tiny_full()
    supernet = NASRecSupernet(space, 3, VOCAB, embedding_dim=8)
    assert torch.equal(supernet.head_weight(), supernet.head.weight)
    genes = thaw(space.sample(np.random.default_rng(4)).genes)
    genes["blocks"][-1].update(
        dense_op="zero", dense_right=[], dense_width=16, sparse_op="efc", sparse_width=4, dense_to_sparse=True
    )
    arch = Arch(space.name, space.version, genes)
    # 16 dense columns, then rows 0-3 of the widest 8, then the merge row after them, 8 wide each
    columns = [*range(16), *range(32, 32 + 4 * 8), *range(32 + 8 * 8, 32 + 9 * 8)]
    assert torch.equal(supernet.head_weight(arch), supernet.head.weight[columns])
    dense, sparse = batch()
    out = supernet(dense, sparse, arch)
    assert out.std() > 0  # a zero dense operator last no longer makes a constant network
    assert torch.equal(supernet.child(arch)(dense, sparse), out)

"""Tests of the layers shared by the CTR models: embeddings, MLP, head and interaction maths."""

from __future__ import annotations

import math
from itertools import combinations

import pytest
import torch
from torch import nn

from nasforge.recsys.models import (
    CIN,
    MLP,
    CrossNetV2,
    DenseFieldEmbedding,
    FeatureEmbedding,
    InteractingLayer,
    LogitHead,
    dot_interaction,
    fm_interaction,
    get_activation,
)

VOCAB_SIZES = (3, 1, 4, 10)


def random_indices(batch: int, vocab_sizes=VOCAB_SIZES, dtype=torch.long) -> torch.Tensor:
    return torch.stack([torch.randint(0, v, (batch,)) for v in vocab_sizes], dim=1).to(dtype)


# --- FeatureEmbedding -------------------------------------------------------------------------------


def test_feature_embedding_properties_and_offsets():
    emb = FeatureEmbedding(VOCAB_SIZES, 5)
    assert (emb.num_features, emb.embedding_dim, emb.num_rows) == (4, 5, 18)
    assert emb.offsets.dtype == torch.int64
    assert emb.offsets.tolist() == [0, 3, 4, 8]
    assert "offsets" not in emb.state_dict()
    assert repr(emb) == "FeatureEmbedding(num_features=4, num_rows=18, embedding_dim=5, sparse=True)"
    # feature i, index j must read row offsets[i] + j
    for i, vocab in enumerate(VOCAB_SIZES):
        for j in range(vocab):
            idx = torch.zeros(1, 4, dtype=torch.long)
            idx[0, i] = j
            torch.testing.assert_close(emb(idx)[0, i], emb.weight[emb.offsets[i] + j])


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64])
def test_feature_embedding_matches_per_table_lookups(dtype):
    emb = FeatureEmbedding(VOCAB_SIZES, 6)
    tables = [nn.Embedding(v, 6) for v in VOCAB_SIZES]
    with torch.no_grad():
        for table, start, rows in zip(tables, emb.offsets.tolist(), VOCAB_SIZES, strict=True):
            table.weight.copy_(emb.weight[start : start + rows])
    idx = random_indices(32, dtype=dtype)
    expected = torch.stack([t(idx[:, i].long()) for i, t in enumerate(tables)], dim=1)
    torch.testing.assert_close(emb(idx), expected)


def test_feature_embedding_per_table_init_bounds():
    sizes = (4, 100, 10_000)
    emb = FeatureEmbedding(sizes, 8)
    for start, rows in zip(emb.offsets.tolist(), sizes, strict=True):
        block = emb.weight[start : start + rows]
        bound = math.sqrt(1 / rows)
        assert block.abs().max() <= bound
        assert block.abs().max() > 0.5 * bound


def test_feature_embedding_sparse_grad_touches_only_batch_rows():
    emb = FeatureEmbedding(VOCAB_SIZES, 3)
    idx = torch.tensor([[0, 0, 2, 9]])
    emb(idx).sum().backward()
    grad = emb.weight.grad
    assert grad.is_sparse
    rows = sorted(set(grad.coalesce().indices()[0].tolist()))
    assert rows == [0, 3, 6, 17]


def test_feature_embedding_one_dim_for_first_order_terms():
    emb = FeatureEmbedding(VOCAB_SIZES, 1, sparse=False)
    assert emb(random_indices(5)).shape == (5, 4, 1)
    emb(random_indices(5)).sum().backward()
    assert not emb.weight.grad.is_sparse


def test_feature_embedding_errors():
    emb = FeatureEmbedding(VOCAB_SIZES)
    with pytest.raises(
        ValueError, match=r"FeatureEmbedding: expected indices of shape \[B, 4\].*got \[2, 3\]"
    ):
        emb(torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="embedding_dim must be an int >= 1"):
        FeatureEmbedding(VOCAB_SIZES, 0)
    with pytest.raises(ValueError, match="vocab_sizes must be a non-empty sequence"):
        FeatureEmbedding([])
    emb.check_indices(random_indices(16))
    bad = random_indices(4)
    bad[2, 2] = 4
    with pytest.raises(ValueError, match=r"feature 2 has indices in .* but its table has 4 rows"):
        emb.check_indices(bad)


def test_dense_field_embedding():
    emb = DenseFieldEmbedding(3, 4)
    dense = torch.randn(5, 3)
    out = emb(dense)
    assert out.shape == (5, 3, 4)
    torch.testing.assert_close(out[2, 1], dense[2, 1] * emb.weight[1])
    assert DenseFieldEmbedding(0, 4)(torch.randn(5, 0)).shape == (5, 0, 4)


# --- MLP and head -----------------------------------------------------------------------------------


def test_mlp_structure():
    mlp = MLP(10, (8, 6), out_dim=2, activation="gelu", dropout=0.1, norm="layer")
    kinds = [type(m) for m in mlp]
    assert kinds == [nn.Linear, nn.LayerNorm, nn.GELU, nn.Dropout] * 2 + [nn.Linear]
    assert (mlp.in_features, mlp.out_features) == (10, 2)
    assert mlp(torch.randn(3, 10)).shape == (3, 2)
    identity = MLP(7, ())
    x = torch.randn(2, 7)
    assert identity.out_features == 7
    assert torch.equal(identity(x), x)
    assert type(MLP(4, (3,), activation=nn.Tanh)[1]) is nn.Tanh


def test_mlp_errors():
    with pytest.raises(ValueError, match=r"unknown activation 'swishy'; choose one of \["):
        get_activation("swishy")
    with pytest.raises(ValueError, match="unknown norm 'group'"):
        MLP(4, (3,), norm="group")
    with pytest.raises(ValueError, match=r"MLP: hidden\[1\] must be an int >= 1"):
        MLP(4, (3, 0))
    with pytest.raises(ValueError, match="MLP: dropout must be a float in"):
        MLP(4, (3,), dropout=1.0)


def test_logit_head_passthrough():
    head = LogitHead(5, num_passthrough=2)
    features = torch.randn(4, 5)
    expected = features[:, 0] + features[:, 1] + features[:, 2:] @ head.weight + head.bias
    torch.testing.assert_close(head(features), expected)
    only_sum = LogitHead(3, num_passthrough=3, bias=False)
    torch.testing.assert_close(only_sum(features[:, :3]), features[:, :3].sum(1))
    with pytest.raises(ValueError, match="exceeds in_features"):
        LogitHead(2, num_passthrough=3)


# --- interactions -----------------------------------------------------------------------------------


def test_fm_interaction_equals_naive_pairwise_sum():
    fields = torch.randn(6, 5, 4, dtype=torch.float64)
    naive = sum((fields[:, i] * fields[:, j]).sum(-1) for i, j in combinations(range(5), 2))
    torch.testing.assert_close(fm_interaction(fields), naive)
    naive_vec = sum(fields[:, i] * fields[:, j] for i, j in combinations(range(5), 2))
    torch.testing.assert_close(fm_interaction(fields, reduce_sum=False), naive_vec)


@pytest.mark.parametrize("self_interaction", [False, True])
def test_dot_interaction_equals_naive_loop(self_interaction):
    b, n, d = 3, 5, 4
    fields = torch.randn(b, n, d, dtype=torch.float64)
    pairs = [(i, j) for i in range(n) for j in range(i if self_interaction else i + 1, n)]
    naive = torch.stack([(fields[:, i] * fields[:, j]).sum(-1) for i, j in pairs], dim=1)
    torch.testing.assert_close(dot_interaction(fields, self_interaction), naive)


def test_cross_layer_hand_example():
    cross = CrossNetV2(2, num_layers=1)
    with torch.no_grad():
        cross.layers[0].weight.copy_(torch.tensor([[1.0, 2.0], [0.0, -1.0]]))
        cross.layers[0].bias.copy_(torch.tensor([0.5, 1.0]))
    x0 = torch.tensor([[1.0, 3.0]])
    # W x0 + b = [1 + 6 + 0.5, -3 + 1] = [7.5, -2]; x0 * that + x0 = [7.5 + 1, -6 + 3]
    torch.testing.assert_close(cross(x0), torch.tensor([[8.5, -3.0]]))


@pytest.mark.parametrize("rank", [None, 2])
def test_cross_net_matches_formula(rank):
    cross = CrossNetV2(6, num_layers=3, rank=rank)
    x0 = torch.randn(4, 6)
    x = x0
    for layer in cross.layers:
        w = layer.weight if rank is None else layer[1].weight @ layer[0].weight
        b = layer.bias if rank is None else layer[1].bias
        x = x0 * (x @ w.T + b) + x
    torch.testing.assert_close(cross(x0), x)


@pytest.mark.parametrize("split_half", [True, False])
def test_cin_matches_naive_formula(split_half):
    b, m, d = 3, 4, 5
    cin = CIN(m, (6, 4), split_half=split_half).double()
    x0 = torch.randn(b, m, d, dtype=torch.float64)
    x, pooled = x0, []
    for k, conv in enumerate(cin.convs):
        w = conv.weight.view(conv.out_channels, x.shape[1], m)  # W^{k,h}_{ij}
        z = torch.einsum("hij,bid,bjd->bhd", w, x, x0) + conv.bias[None, :, None]
        if split_half and k == 0:
            x, direct = z[:, :3], z[:, 3:]
        else:
            x = direct = z
        pooled.append(direct.sum(-1))
    expected = torch.cat(pooled, dim=1)
    assert cin.out_features == expected.shape[1] == (3 + 4 if split_half else 6 + 4)
    torch.testing.assert_close(cin(x0), expected)


@pytest.mark.parametrize("use_scale", [False, True])
def test_interacting_layer_matches_naive_attention(use_scale):
    b, m, d, heads, att = 2, 5, 4, 2, 3
    layer = InteractingLayer(d, attention_dim=att, num_heads=heads, use_scale=use_scale).double()
    x = torch.randn(b, m, d, dtype=torch.float64)
    wq, wk, wv = layer.qkv.weight.split(heads * att)
    outs = []
    for h in range(heads):
        rows = slice(h * att, (h + 1) * att)
        q, k, v = x @ wq[rows].T, x @ wk[rows].T, x @ wv[rows].T
        scores = q @ k.transpose(1, 2) / (math.sqrt(att) if use_scale else 1.0)
        outs.append(scores.softmax(-1) @ v)
    expected = torch.relu(torch.cat(outs, dim=-1) + x @ layer.residual.weight.T)
    torch.testing.assert_close(layer(x), expected)


def test_embedding_init_std_options():
    from nasforge.recsys.models import DeepFM, FeatureEmbedding

    normal = FeatureEmbedding([1000, 2000], 8, init_std=0.01)
    assert abs(normal.weight.std().item() - 0.01) < 0.001
    zeros = FeatureEmbedding([5, 6], 1, init_std=0.0)
    assert torch.count_nonzero(zeros.weight) == 0
    with pytest.raises(ValueError, match="init_std"):
        FeatureEmbedding([5], 4, init_std=-1.0)
    # FM-style models start with interaction logits far smaller than the uniform rule would give.
    torch.manual_seed(0)
    dense, sparse = torch.rand(256, 13) * 3, torch.randint(0, 20, (256, 26))
    fm_small = DeepFM(13, [20] * 26).forward_features(dense, sparse)[:, 1]
    fm_uniform = DeepFM(13, [20] * 26, embedding_init_std=None).forward_features(dense, sparse)[:, 1]
    assert fm_small.abs().mean() < 0.1 < fm_uniform.abs().mean()

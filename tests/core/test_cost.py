from __future__ import annotations

import pytest
import torch
from torch import nn

from nasforge.core.cost import CostReport, count_flops, count_params, measure_cost, measure_latency


def test_linear_flops_are_two_per_multiply_accumulate():
    batch, d_in, d_out = 8, 16, 4
    assert count_flops(nn.Linear(d_in, d_out), torch.randn(batch, d_in)) == 2 * batch * d_in * d_out


class DotInteraction(nn.Module):
    """Pairwise dot products of ``n`` feature vectors, written three ways."""

    def __init__(self, how: str) -> None:
        super().__init__()
        self.how = how

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.how == "bmm":
            return torch.bmm(x, x.transpose(1, 2))
        if self.how == "einsum":
            return torch.einsum("bnd,bmd->bnm", x, x)
        return x @ x.transpose(1, 2)


class SelfAttention(nn.Module):
    def forward(self, q: torch.Tensor) -> torch.Tensor:
        return nn.functional.scaled_dot_product_attention(q, q, q)


@pytest.mark.parametrize("how", ["bmm", "einsum", "matmul"])
def test_batched_dot_product_interaction_is_counted(how):
    batch, n, d = 4, 6, 16
    assert count_flops(DotInteraction(how), torch.randn(batch, n, d)) == 2 * batch * n * n * d


def test_attention_is_counted_on_the_cpu_fast_paths():
    batch, seq, dim = 2, 5, 16
    x = torch.randn(batch, seq, dim)
    mha = nn.MultiheadAttention(dim, num_heads=2, batch_first=True)
    projections = 2 * batch * seq * dim * dim * 4  # q, k, v, out
    scores_and_mix = 2 * 2 * batch * seq * seq * dim  # q k^T and attention @ v, over all heads
    with torch.no_grad():  # would take the fused fast path the counter cannot see
        assert count_flops(mha, x, x, x) == projections + scores_and_mix
    q = torch.randn(batch, 2, seq, dim // 2)
    assert count_flops(SelfAttention(), q) == scores_and_mix


def test_counting_leaves_batch_norm_statistics_and_training_mode_alone():
    net = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
    before = net[1].running_mean.clone()
    count_flops(net, torch.randn(5, 3) + 10)
    assert torch.equal(net[1].running_mean, before) and net.training and net[1].training


def test_param_counts_with_exclusions_and_sharing():
    net = nn.ModuleDict({"emb": nn.Embedding(100, 8), "mlp": nn.Linear(8, 2)})
    assert count_params(net) == 100 * 8 + 8 * 2 + 2
    assert count_params(net, exclude=(nn.Embedding,)) == 18
    net["mlp"].bias.requires_grad_(False)
    assert count_params(net, exclude=(nn.Embedding,), trainable_only=True) == 16
    shared = nn.Linear(4, 4)
    assert count_params(nn.Sequential(shared, shared)) == 20


def test_cost_report_with_and_without_latency():
    net, x = nn.Linear(16, 4), torch.randn(8, 16)
    report = measure_cost(net, x)
    assert report == CostReport(flops=2 * 8 * 16 * 4, params=68)
    assert report.to_dict() == {"flops": 1024, "params": 68}
    timed = measure_cost(net, x, latency_repeats=3)
    assert timed.latency_ms is not None and timed.latency_ms > 0 and "latency_ms" in timed.to_dict()
    with pytest.raises(ValueError, match="repeats >= 1"):
        measure_latency(net, x, repeats=0)

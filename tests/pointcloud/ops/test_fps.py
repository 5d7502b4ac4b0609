"""fps: the greedy farthest-point order, the number of points per element, no repeats."""

from __future__ import annotations

import math

import pytest
import torch
import torch_geometric.typing
from torch_geometric.nn import pool

from nasforge.pointcloud.ops import fps


def _greedy(pos: torch.Tensor, count: int) -> list[int]:
    """The textbook loop: start at point 0, add the point farthest from the chosen ones."""
    chosen = [0]
    for _ in range(count - 1):
        dist = torch.cdist(pos.double(), pos[chosen].double()).min(dim=1).values
        chosen.append(int(dist.argmax()))
    return chosen


def test_points_on_a_line_follow_the_greedy_order(device):
    pos = torch.tensor([[0.0], [1.0], [2.5], [4.0], [10.0]], device=device)
    assert fps(pos, ratio=1.0, random_start=False).tolist() == [0, 4, 3, 2, 1]
    assert fps(pos, ratio=0.6, random_start=False).tolist() == [0, 4, 3]


def test_each_element_matches_the_greedy_loop(device):
    gen = torch.Generator().manual_seed(0)
    sizes = [40, 7, 25]
    pos = torch.rand(sum(sizes), 3, generator=gen).to(device)
    batch = torch.repeat_interleave(torch.arange(3), torch.tensor(sizes)).to(device)
    index = fps(pos, batch, ratio=0.3, random_start=False).cpu()
    expected, start = [], 0
    for size in sizes:
        expected += [start + i for i in _greedy(pos[start : start + size].cpu(), math.ceil(0.3 * size))]
        start += size
    assert index.tolist() == expected


def test_counts_follow_torch_cluster_and_unsorted_batches_work():
    # ceil(0.1 * 30) is 3 in float32 (torch_cluster's count), 4 in float64
    batch = torch.randperm(40, generator=torch.Generator().manual_seed(1)) % 2  # 20 points each
    batch[torch.nonzero(batch == 1)[:10].flatten()] = 2  # elements of 20, 10, 10
    batch = torch.cat([batch, torch.zeros(10, dtype=torch.long)])  # element 0: 30 points
    index = fps(torch.rand(50, 3), batch, ratio=0.1)
    assert torch.bincount(batch[index]).tolist() == [3, 1, 1]


def test_ratio_one_is_a_permutation_even_with_duplicates(device):
    pos = torch.cat([torch.zeros(4, 3), torch.ones(3, 3)]).to(device)
    batch = torch.tensor([0, 0, 0, 0, 1, 1, 1], device=device)
    index = fps(pos, batch, ratio=1.0)
    assert sorted(index[:4].tolist()) == [0, 1, 2, 3] and sorted(index[4:].tolist()) == [4, 5, 6]


def test_random_starts_follow_the_torch_seed():
    pos = torch.rand(100, 3, generator=torch.Generator().manual_seed(2))
    starts = set()
    for seed in range(5):
        torch.manual_seed(seed)
        first = fps(pos, ratio=0.1)
        torch.manual_seed(seed)
        assert torch.equal(fps(pos, ratio=0.1), first)
        starts.add(int(first[0]))
    assert len(starts) > 1


@pytest.mark.parametrize("ratio", [0.0, 1.5])
def test_bad_ratios_are_refused(ratio):
    with pytest.raises(ValueError, match=r"fps: ratio must be in \(0, 1\]"):
        fps(torch.rand(5, 3), ratio=ratio)


def test_compiled_sampler_is_used_when_available(monkeypatch):
    monkeypatch.setattr(torch_geometric.typing, "WITH_FPS", True)
    monkeypatch.setattr(pool, "fps", lambda *args, **kwargs: "compiled")
    assert fps(torch.rand(5, 3)) == "compiled"

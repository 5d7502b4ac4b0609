"""radius: the points of the same element within r, the nearest ones when there are too many."""

from __future__ import annotations

import pytest
import torch
import torch_geometric.typing
from torch_geometric.nn import pool

from nasforge.pointcloud.ops import radius


def _reference(x, y, r, batch_x, batch_y, cap) -> set[tuple[int, int]]:
    """All (query, neighbour) pairs within r, each query's nearest ``cap``: argsort of full distances."""
    dist = torch.cdist(y.double(), x.double())
    dist[batch_y[:, None] != batch_x[None, :]] = float("inf")
    pairs = set()
    for query in range(y.shape[0]):
        order = dist[query].argsort()[:cap]
        pairs |= {(query, int(j)) for j in order if dist[query, j] < r}
    return pairs


def _pairs(edges: torch.Tensor) -> set[tuple[int, int]]:
    return set(map(tuple, edges.T.cpu().tolist()))


@pytest.mark.parametrize("cap", [1000, 5])
def test_matches_brute_force_with_and_without_truncation(device, cap):
    gen = torch.Generator().manual_seed(0)
    x, y = torch.rand(150, 3, generator=gen).to(device), torch.rand(60, 3, generator=gen).to(device)
    batch_x = (torch.arange(150, device=device) >= 90).long()
    batch_y = (torch.arange(60, device=device) >= 35).long()
    edges = radius(x, y, 0.3, batch_x, batch_y, max_num_neighbors=cap)
    assert edges.shape[1] == len(_pairs(edges))  # no pair twice
    assert _pairs(edges) == _reference(x, y, 0.3, batch_x, batch_y, cap)


def test_truncation_keeps_the_nearest_nearest_first(device):
    x = torch.tensor([[0.5, 0, 0], [0.1, 0, 0], [0.4, 0, 0], [0.2, 0, 0], [2.0, 0, 0]], device=device)
    row, col = radius(x, x[1:2] * 0, 1.0, max_num_neighbors=3)
    assert row.tolist() == [0, 0, 0] and col.tolist() == [1, 3, 2]


def test_the_radius_is_exclusive_and_elements_stay_apart(device):
    x = torch.tensor([[0.0, 0, 0], [1.0, 0, 0], [0.5, 0, 0], [0.5, 0, 0]], device=device)
    batch = torch.tensor([0, 0, 0, 1], device=device)
    row, col = radius(x, x[:1], 1.0, batch, batch[:1])
    assert sorted(col.tolist()) == [0, 2]  # distance exactly r is out; point 3 is another element
    assert row.tolist() == [0, 0]


def test_blocks_do_not_change_the_result():
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(80, 3, generator=gen)
    assert torch.equal(
        radius(x, x, 0.25, max_num_neighbors=8, max_pairs=50), radius(x, x, 0.25, max_num_neighbors=8)
    )


@pytest.mark.parametrize(
    ("r", "cap", "match"),
    [(0.0, 4, "r must be > 0"), (0.5, 0, "max_num_neighbors must be >= 1")],
)
def test_bad_arguments_are_refused(r, cap, match):
    with pytest.raises(ValueError, match=f"radius: {match}"):
        radius(torch.rand(4, 3), torch.rand(2, 3), r, max_num_neighbors=cap)


def test_compiled_search_is_used_when_available(monkeypatch):
    calls = []
    monkeypatch.setattr(torch_geometric.typing, "WITH_RADIUS", True)
    monkeypatch.setattr(pool, "radius", lambda *args, **kwargs: calls.append((args, kwargs)) or "compiled")
    x = torch.rand(4, 3)
    assert radius(x, x, 0.5, torch.tensor([0, 0, 1, 1]), torch.tensor([0, 0, 1, 1]), 7) == "compiled"
    assert calls[0][0][5] == 7 and calls[0][1] == {"batch_size": 2}

"""knn: the k nearest points of the same batch element, checked against a full distance matrix."""

from __future__ import annotations

import pytest
import torch
import torch_geometric.typing
from torch_geometric.nn import pool

from nasforge.pointcloud.ops import knn


def _cloud(sizes: list[int], seed: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    pos = torch.rand(sum(sizes), 3, generator=gen)
    batch = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
    return pos.to(device), batch.to(device)


def _check_against_brute_force(x, y, k, batch_x, batch_y, edges) -> None:
    """Each query gets min(k, n_b) neighbours of its element, whose distances are the k smallest."""
    dist = torch.cdist(y.double(), x.double())
    dist[batch_y[:, None] != batch_x[None, :]] = float("inf")
    row, col = edges.cpu()
    assert bool((batch_y[row.to(y.device)] == batch_x[col.to(y.device)]).all())
    for query in range(y.shape[0]):
        available = int((batch_x == batch_y[query]).sum())
        found = dist[query, col[row == query].to(y.device)].sort().values
        expected = dist[query].sort().values[: min(k, available)]
        assert found.shape == expected.shape
        torch.testing.assert_close(found, expected, atol=1e-5, rtol=0)


def test_matches_brute_force_with_a_small_element(device):
    x, batch_x = _cloud([60, 3, 45], seed=0, device=device)  # element 1 has fewer than k points
    y, batch_y = _cloud([25, 7, 30], seed=1, device=device)
    edges = knn(x, y, 8, batch_x, batch_y)
    assert edges.shape[0] == 2 and edges.dtype == torch.long
    assert edges.shape[1] == 25 * 8 + 7 * 3 + 30 * 8
    _check_against_brute_force(x, y, 8, batch_x, batch_y, edges)


def test_ties_and_duplicates_keep_the_nearest_distances(device):
    gen = torch.Generator().manual_seed(2)
    grid = torch.randint(0, 4, (80, 3), generator=gen).float()  # integer points: many ties
    x = torch.cat([grid, grid[:10]]).to(device)  # and exact duplicates
    batch = torch.zeros(x.shape[0], dtype=torch.long, device=device)
    edges = knn(x, x, 6, batch, batch)
    _check_against_brute_force(x, x, 6, batch, batch, edges)


def test_neighbours_come_nearest_first(device):
    x, batch = _cloud([50], seed=3, device=device)
    row, col = knn(x, x[:5], 10, batch, batch[:5])
    dist = (x[:5][row] - x[col]).norm(dim=1).view(5, 10)
    assert bool((dist[:, 1:] >= dist[:, :-1]).all())
    assert bool((row.view(5, 10) == torch.arange(5, device=device)[:, None]).all())


def test_blocks_and_unsorted_batches_give_the_same_neighbourhoods(device):
    x, batch_x = _cloud([40, 35], seed=4, device=device)
    y, batch_y = _cloud([20, 15], seed=5, device=device)
    reference = knn(x, y, 5, batch_x, batch_y)
    assert torch.equal(knn(x, y, 5, batch_x, batch_y, max_pairs=7), reference)
    perm_x = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(6)).to(device)
    shuffled = knn(x[perm_x], y, 5, batch_x[perm_x], batch_y)
    assert torch.equal(torch.stack([shuffled[0], perm_x[shuffled[1]]]), reference)


def test_queries_of_an_element_without_points_get_none(device):
    x, batch_x = _cloud([10], seed=7, device=device)
    y, _ = _cloud([4, 3], seed=8, device=device)
    batch_y = torch.tensor([0, 0, 0, 0, 1, 1, 1], device=device)
    row, _ = knn(x, y, 3, batch_x, batch_y)
    assert row.tolist() == [0] * 3 + [1] * 3 + [2] * 3 + [3] * 3


def test_without_batches_all_points_form_one_element():
    x, _ = _cloud([30], seed=9, device=torch.device("cpu"))
    assert torch.equal(
        knn(x, x, 4), knn(x, x, 4, torch.zeros(30, dtype=torch.long), torch.zeros(30, dtype=torch.long))
    )


@pytest.mark.parametrize(
    ("x", "y", "k", "batch_x", "match"),
    [
        (torch.rand(5, 3), torch.rand(4, 3), 0, None, "k must be >= 1"),
        (torch.rand(5, 3), torch.rand(4, 2), 1, None, "same dims"),
        (torch.rand(5), torch.rand(4, 3), 1, None, r"x must be a floating-point \[num_points, dims\]"),
        (
            torch.rand(5, 3),
            torch.rand(4, 3),
            1,
            torch.zeros(4, dtype=torch.long),
            "one batch index per point",
        ),
    ],
)
def test_bad_inputs_are_refused(x, y, k, batch_x, match):
    with pytest.raises(ValueError, match=f"knn: .*{match}"):
        knn(x, y, k, batch_x)


def test_compiled_search_is_used_when_available(monkeypatch):
    calls = []
    monkeypatch.setattr(torch_geometric.typing, "WITH_KNN", True)
    monkeypatch.setattr(pool, "knn", lambda *args, **kwargs: calls.append((args, kwargs)) or "compiled")
    x = torch.rand(6, 3)
    assert knn(x, x[:2], 2, torch.tensor([0, 0, 0, 1, 1, 1]), torch.tensor([0, 1])) == "compiled"
    assert calls[0][1] == {"batch_size": 2}

"""kernel_points: KPConv's placement, well spread, deterministic, and stored once."""

from __future__ import annotations

import importlib

import pytest
import torch

from nasforge.pointcloud.ops import kernel_points, optimize_kernel_points

KERNEL_POINTS = importlib.import_module("nasforge.pointcloud.ops.kernel_points")


def _min_distance(points: torch.Tensor) -> float:
    dist = torch.cdist(points, points)
    return float(dist[~torch.eye(points.shape[0], dtype=torch.bool)].min())


@pytest.mark.parametrize("k", [5, 7, 13, 15])
def test_the_placement_is_centred_inside_and_well_spread(k):
    points = kernel_points(k)
    assert points.shape == (k, 3) and points.dtype == torch.float32
    assert torch.equal(points[0], torch.zeros(3))
    radii = points[1:].norm(dim=1)
    assert float(radii.max()) <= 1.0
    torch.testing.assert_close(radii.mean(), torch.tensor(KERNEL_POINTS.MEAN_RADIUS))
    # k uniform random points in the unit ball come far closer (about 0.2 apart for k = 15)
    assert _min_distance(points) > 0.5


def test_thirteen_points_are_the_centre_and_an_icosahedron():
    outer = kernel_points(13)[1:]
    radii = outer.norm(dim=1)
    torch.testing.assert_close(radii, radii.mean().expand(12), rtol=1e-3, atol=0)
    neighbours = torch.cdist(outer, outer).sort(dim=1).values[:, 1:7] / radii.mean()
    edge = 4 / (10 + 2 * 5**0.5) ** 0.5  # icosahedron edge over circumradius, 1.0515
    torch.testing.assert_close(neighbours[:, :5], torch.full((12, 5), edge), rtol=1e-3, atol=0)
    assert bool((neighbours[:, 5] > 1.6).all())  # the sixth nearest is across the shell, 1.7013


def test_a_single_point_is_the_centre():
    assert torch.equal(optimize_kernel_points(1), torch.zeros(1, 3))


def test_the_optimisation_is_deterministic_under_a_seed():
    assert torch.equal(optimize_kernel_points(7, seed=3), optimize_kernel_points(7, seed=3))
    assert not torch.equal(optimize_kernel_points(7, seed=3), optimize_kernel_points(7, seed=4))


def test_the_placement_is_stored_and_read_back(tmp_path, monkeypatch):
    first = kernel_points(5, seed=1, cache_dir=tmp_path)
    stored = list(tmp_path.iterdir())
    assert [p.name for p in stored] == [f"k005_d3_seed1_v{KERNEL_POINTS.CACHE_VERSION}.npy"]

    def refuse(*args, **kwargs):
        raise AssertionError("the stored placement should have been read")

    monkeypatch.setattr(KERNEL_POINTS, "optimize_kernel_points", refuse)
    assert torch.equal(kernel_points(5, seed=1, cache_dir=tmp_path), first)
    with pytest.raises(AssertionError, match="should have been read"):
        kernel_points(5, seed=2, cache_dir=tmp_path)  # another key is not confused with it


def test_an_unwritable_folder_warns_and_still_returns(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.warns(UserWarning, match="cannot store the placement"):
        points = kernel_points(5, cache_dir=blocker / "sub")
    assert points.shape == (5, 3)


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="kernel_points: need num_points >= 1"):
        kernel_points(0)

"""Preprocessed scenes and the regions cut from them: the cache, coverage and the vote fields."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch_geometric.loader import DataLoader

from nasforge.pointcloud.data.regions import CoverRegions, RandomRegions
from nasforge.pointcloud.data.scene_cache import RawScene, build_cache, load_split, subsample_scene


def _raw(name: str, seed: int, n: int = 3000, labelled: bool = True) -> RawScene:
    rng = np.random.default_rng(seed)
    pos = (rng.random((n, 3)) * [4.0, 3.0, 1.0]).astype(np.float32)
    y = (pos[:, 2] > 0.5).astype(np.int64)
    y[rng.random(n) < 0.05] = -1  # some unlabelled points
    x = np.concatenate([np.ones((n, 1)), pos[:, 2:]], axis=1).astype(np.float32)
    return RawScene(name, pos, x, y if labelled else None)


def test_subsampling_keeps_voxel_means_and_counts_original_labels():
    raw = _raw("room", 0)
    arrays = subsample_scene(raw, grid=0.25, num_classes=2, vote=True)
    assert len(arrays["pos"]) < len(raw.pos)
    # every labelled original point is counted once, in its voxel's histogram
    assert int(arrays["hist"].sum()) == int((raw.y >= 0).sum())
    majority = arrays["hist"].argmax(axis=1)
    labelled = arrays["y"] >= 0
    assert (arrays["y"][labelled] == majority[labelled]).mean() > 0.95


def test_the_cache_is_built_once_and_reused(tmp_path: Path):
    reads = []

    def read(handle):
        reads.append(handle)
        return _raw(handle, len(reads))

    splits = {"train": ["a", "b"], "val": ["c"], "test": ["d"]}
    meta = build_cache(tmp_path / "cache", splits, read, grid=0.2, num_classes=2)
    assert meta["splits"] == splits and len(reads) == 4
    assert build_cache(tmp_path / "cache", splits, read, grid=0.2, num_classes=2) == meta
    assert len(reads) == 4  # nothing read again
    test = load_split(tmp_path / "cache", "test", meta["splits"]["test"])
    assert test[0].hist is not None and isinstance(test[0].pos, np.memmap)
    assert load_split(tmp_path / "cache", "train", meta["splits"]["train"])[0].hist is None


def test_a_cache_built_by_another_run_meanwhile_is_kept_and_both_runs_go_on(tmp_path: Path):
    """Runs started side by side build the same cache at once; neither may break the other."""
    folder = tmp_path / "cache"
    splits = {"train": ["a"], "test": ["b"]}
    inner: list[dict] = []

    def read(handle):
        if not inner:  # the other run starts and finishes while this one is half-way
            inner.append(build_cache(folder, splits, lambda h: _raw(h, ord(h)), grid=0.2, num_classes=2))
        return _raw(handle, ord(handle))

    meta = build_cache(folder, splits, read, grid=0.2, num_classes=2)
    assert meta == inner[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]
    assert len(load_split(folder, "test", meta["splits"]["test"])[0]) > 0


def test_a_failing_read_leaves_no_cache_that_looks_finished(tmp_path: Path):
    def read(handle):
        if handle == "bad":
            raise ValueError("bad.txt:3: field z: not a number")
        return _raw(handle, 0)

    with pytest.raises(ValueError, match=r"bad\.txt:3: field z"):
        build_cache(tmp_path / "cache", {"train": ["a", "bad"]}, read, grid=0.2, num_classes=2)
    assert not (tmp_path / "cache" / "meta.json").exists()


@pytest.fixture
def scenes(tmp_path: Path):
    splits = {"test": ["s0", "s1"]}
    meta = build_cache(tmp_path / "c", splits, lambda h: _raw(h, int(h[1])), grid=0.1, num_classes=2)
    return load_split(tmp_path / "c", "test", meta["splits"]["test"])


def test_cover_regions_cover_every_point_and_carry_global_indices(scenes):
    regions = CoverRegions(scenes, radius=1.0, max_points=500, vote=True)
    assert regions.num_points == sum(len(s) for s in scenes)
    seen = torch.zeros(regions.num_points, dtype=torch.bool)
    for region in regions:
        assert len(region.pos) <= 500
        assert (region.pos.norm(dim=1) < 1.0).all()  # centred on the region's centre
        seen[region.point_index] = True
        assert region.label_hist.shape == (len(region.pos), 2)
    assert bool(seen.all())
    # batching keeps the global indices (they are not offset like edge indices)
    batch = next(iter(DataLoader(regions, batch_size=3)))
    parts = [regions[i].point_index for i in range(3)]
    assert torch.equal(batch.point_index, torch.cat(parts))


def test_cover_regions_are_the_same_every_time_and_can_be_capped(scenes):
    first, again = CoverRegions(scenes, 1.0, 500), CoverRegions(scenes, 1.0, 500)
    assert first.regions == again.regions
    capped = CoverRegions(scenes, 1.0, 500, max_regions=3)
    assert len(capped) == 3 and set(capped.regions) <= set(first.regions)


def test_random_regions_follow_the_global_seed_and_respect_their_bounds(scenes):
    regions = RandomRegions(scenes, radius=1.0, max_points=300, num_regions=5)
    torch.manual_seed(0)
    drawn = [regions[i] for i in range(5)]
    torch.manual_seed(0)
    again = [regions[i] for i in range(5)]
    for a, b in zip(drawn, again, strict=True):
        assert torch.equal(a.pos, b.pos) and torch.equal(a.y, b.y)
        assert len(a.pos) <= 300
    assert len({len(r.pos) for r in drawn}) > 1 or not torch.equal(drawn[0].pos, drawn[1].pos)

"""grid_subsample: one point per voxel and element; mean positions and features, majority labels."""

from __future__ import annotations

import pytest
import torch

from nasforge.pointcloud.ops import grid_subsample


def test_a_hand_made_cloud(device):
    pos = torch.tensor(
        [
            [0.1, 0.1, 0.1],  # voxel (0, 0, 0)
            [0.9, 0.3, 0.5],  # voxel (0, 0, 0)
            [0.5, 0.5, 0.5],  # voxel (0, 0, 0)
            [1.5, 0.2, 0.2],  # voxel (1, 0, 0)
            [-0.5, 0.2, 0.2],  # voxel (-1, 0, 0): the grid is aligned to multiples of the size
        ],
        device=device,
    )
    features = torch.tensor([[3.0], [6.0], [0.0], [1.0], [2.0]], device=device)
    labels = torch.tensor([2, 1, 2, 0, 1], device=device)
    sub_pos, sub_batch, sub_features, sub_labels, cluster = grid_subsample(
        pos, 1.0, features=features, labels=labels
    )
    assert sub_batch is None
    assert cluster.tolist() == [1, 1, 1, 2, 0]  # voxels in lexicographic order
    torch.testing.assert_close(
        sub_pos, torch.tensor([[-0.5, 0.2, 0.2], [0.5, 0.3, 1.1 / 3], [1.5, 0.2, 0.2]], device=device)
    )
    torch.testing.assert_close(sub_features, torch.tensor([[2.0], [3.0], [1.0]], device=device))
    assert sub_labels.tolist() == [1, 2, 0]


def test_batch_elements_are_never_merged(device):
    pos = torch.tensor([[0.1, 0.1, 0.1], [0.2, 0.2, 0.2], [0.3, 0.3, 0.3]], device=device)
    batch = torch.tensor([1, 0, 1], device=device)
    sub_pos, sub_batch, _, _, cluster = grid_subsample(pos, 1.0, batch)
    assert sub_batch.tolist() == [0, 1]  # sorted by element
    assert cluster.tolist() == [1, 0, 1]
    torch.testing.assert_close(sub_pos, torch.tensor([[0.2, 0.2, 0.2], [0.2, 0.2, 0.2]], device=device))


def test_ties_go_to_the_smallest_label_and_num_classes_pads_the_vote():
    pos = torch.zeros(4, 3)
    labels = torch.tensor([3, 1, 3, 1])
    assert grid_subsample(pos, 0.5, labels=labels, num_classes=5)[3].tolist() == [1]


def test_random_cloud_properties():
    gen = torch.Generator().manual_seed(0)
    pos = torch.rand(2000, 3, generator=gen) * 4
    batch = torch.randint(0, 3, (2000,), generator=gen)
    features = torch.randint(0, 255, (2000, 3), generator=gen, dtype=torch.uint8)
    sub_pos, sub_batch, sub_features, _, cluster = grid_subsample(pos, 0.5, batch, features)
    assert torch.equal(sub_batch[cluster], batch)
    assert torch.equal(torch.floor(sub_pos[cluster] / 0.5), torch.floor(pos / 0.5))  # mean stays in the voxel
    assert bool((sub_batch[1:] >= sub_batch[:-1]).all())
    assert sub_features.dtype == torch.float32
    voxels = {(int(b), *map(int, v)) for b, v in zip(batch, torch.floor(pos / 0.5), strict=True)}
    assert sub_pos.shape[0] == len(voxels)
    one = cluster == 0
    torch.testing.assert_close(sub_features[0], features[one].float().mean(dim=0))


def test_grids_too_wide_for_one_int64_key_still_group_points():
    pos = torch.tensor(
        [[0.0, 0.0, 0.0], [1e7, 1e7, 1e7], [0.01, 0.02, 0.03], [1e7, 0.0, 0.0]], dtype=torch.float64
    )
    sub_pos, *_, cluster = grid_subsample(pos, 0.1)  # 1e8 voxels a side: 1e24 cells
    assert cluster.tolist() == [0, 2, 0, 1]
    torch.testing.assert_close(sub_pos[0], torch.tensor([0.005, 0.01, 0.015], dtype=torch.float64))


def test_an_empty_cloud_gives_empty_outputs():
    sub_pos, _, _, sub_labels, cluster = grid_subsample(
        torch.zeros(0, 3), 0.1, labels=torch.zeros(0, dtype=torch.long)
    )
    assert sub_pos.shape == (0, 3) and sub_labels.shape == (0,) and cluster.shape == (0,)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"grid_size": 0.0}, "grid_size must be > 0"),
        ({"labels": torch.tensor([0, -1])}, "labels must be >= 0"),
        ({"labels": torch.tensor([0, 4]), "num_classes": 3}, "num_classes >= 5"),
        ({"features": torch.zeros(3, 2)}, "features must have one row per point"),
    ],
)
def test_bad_inputs_are_refused(kwargs, match):
    kwargs = {"grid_size": 1.0, **kwargs}
    with pytest.raises(ValueError, match=f"grid_subsample: .*{match}"):
        grid_subsample(torch.zeros(2, 3), **kwargs)

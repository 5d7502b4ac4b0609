"""SegmentationTask: confusion-based measures, ignored points, and full-resolution scoring by votes."""

from __future__ import annotations

import warnings
from functools import partial

import lightning as L
import pytest
import torch
from torch import nn
from torch_geometric.data import Data
from torch_geometric.loader import DataLoader

from nasforge.lit import ChildModule
from nasforge.pointcloud.data.regions import RegionData
from nasforge.tasks import SegmentationTask
from nasforge.tasks.segmentation_metrics import SceneVoteConfusion, segmentation_scores

NAMES = ["floor", "wall", "chair"]


def _logits(predicted: list[int], classes: int = 3) -> torch.Tensor:
    return torch.nn.functional.one_hot(torch.tensor(predicted), classes).float() * 5


def test_scores_of_a_hand_counted_confusion_matrix():
    # rows: true class, columns: predicted class
    confusion = torch.tensor([[3, 1, 0], [0, 2, 2], [0, 0, 0]])
    scores = segmentation_scores(confusion, NAMES)
    # floor: 3 / (4 + 3 - 3) = 0.75; wall: 2 / (4 + 3 - 2) = 0.4; chair: predicted twice, never
    # true: 0, and it counts in the mean
    assert float(scores["iou/floor"]) == pytest.approx(75.0)
    assert float(scores["iou/wall"]) == pytest.approx(40.0)
    assert float(scores["miou"]) == pytest.approx(115.0 / 3)
    # a class absent from both labels and predictions has no IoU and is left out of the mean
    assert float(segmentation_scores(torch.tensor([[3, 1, 0], [0, 2, 0], [0, 0, 0]]), NAMES)["miou"]) == (
        pytest.approx(100 * (0.75 + 2 / 3) / 2)
    )
    assert float(scores["oa"]) == pytest.approx(62.5)
    assert float(scores["macc"]) == pytest.approx(100 * (0.75 + 0.5) / 2)


def test_region_metrics_skip_ignored_points_and_reset():
    task = SegmentationTask(3, NAMES, ignore_index=-1)
    metrics = task.metrics("val")
    labels = torch.tensor([0, 0, 1, 1, -1, -1])
    task.update_metrics(metrics, _logits([0, 1, 1, 1, 2, 2]), labels)
    values = metrics.compute()
    assert float(values["oa"]) == pytest.approx(75.0)
    assert float(values["iou/chair"]) == 0.0  # the ignored points' predictions count nowhere
    assert float(values["miou"]) == pytest.approx(100 * (0.5 + 2 / 3) / 2)
    metrics.reset()
    task.update_metrics(metrics, _logits([0, 1]), torch.tensor([0, 1]))
    assert float(metrics.compute()["oa"]) == 100.0


def test_the_loss_ignores_unlabelled_points():
    task = SegmentationTask(3, NAMES)
    labels = torch.tensor([0, 1, -1])
    logits = torch.randn(3, 3)
    changed = logits.clone()
    changed[2] = torch.tensor([9.0, -9.0, 3.0])
    assert torch.equal(task.loss(logits, labels), task.loss(changed, labels))


def _vote_batch(point_index, hist, predicted):
    labels = torch.zeros(len(point_index), 1, dtype=torch.long)
    target = torch.cat([labels, torch.tensor(point_index)[:, None], torch.tensor(hist)], dim=1)
    return _logits(predicted), target


def test_votes_give_the_confusion_of_every_original_point():
    # four voxels; original points (voxel, class): voxel 0 holds 3 floor, voxel 1 two walls and a
    # floor, voxel 2 a chair, voxel 3 two chairs
    originals = [(0, 0), (0, 0), (0, 0), (1, 1), (1, 1), (1, 0), (2, 2), (3, 2), (3, 2)]
    hist = torch.zeros(4, 3, dtype=torch.long)
    for voxel, label in originals:
        hist[voxel, label] += 1
    task = SegmentationTask(3, NAMES, vote_points=4)
    metrics = task.metrics("test")
    # two overlapping regions: voxel 1 is predicted wall twice and chair once; voxel 2 chair then floor
    # with a stronger floor vote
    task.update_metrics(metrics, *_vote_batch([0, 1, 2], hist[[0, 1, 2]].tolist(), [0, 1, 2]))
    logits, target = _vote_batch([1, 2, 3, 1], hist[[1, 2, 3, 1]].tolist(), [2, 0, 2, 1])
    logits[1] *= 3
    task.update_metrics(metrics, logits, target)
    prediction = {0: 0, 1: 1, 2: 0, 3: 2}
    expected = torch.zeros(3, 3, dtype=torch.long)
    for voxel, label in originals:
        expected[label, prediction[voxel]] += 1
    values = metrics.compute()
    for key, value in segmentation_scores(expected, NAMES).items():
        assert float(values[key]) == pytest.approx(float(value)), key


def test_unvoted_voxels_count_as_wrong_and_warn():
    metric = SceneVoteConfusion(NAMES, num_points=2)
    metric.update(_logits([0]), torch.tensor([0]), torch.tensor([[4, 0, 0]]))
    metric.hist[1] = torch.tensor([0, 4, 0])  # a voxel no region reached
    with pytest.warns(UserWarning, match="1 subsampled points \\(4 original points\\) were never predicted"):
        values = metric.compute()
    assert float(values["oa"]) == pytest.approx(50.0)
    assert float(values["iou/wall"]) == 0.0


def test_target_layout_and_clear_errors():
    task = SegmentationTask(3, NAMES, vote_points=5)
    plain = Data(y=torch.tensor([0, 1]))
    assert torch.equal(task.target(plain), plain.y)
    voting = Data(
        y=torch.tensor([0, 1]),
        point_index=torch.tensor([3, 4]),
        label_hist=torch.ones(2, 3, dtype=torch.long),
    )
    assert task.target(voting).shape == (2, 5)
    with pytest.raises(ValueError, match="carry no point_index"):
        task.update_metrics(task.metrics("test"), _logits([0, 1]), plain.y)
    with pytest.raises(ValueError, match="ignore_index=1 is a class"):
        SegmentationTask(3, ignore_index=1)


class PointLinear(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 2)

    def forward(self, batch):
        return self.linear(batch.x)


def _cloud(seed: int, vote_offset: int | None = None) -> Data:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(50, 2, generator=g)
    y = (x[:, 0] > 0).long()
    data = RegionData(x=x, pos=torch.randn(50, 3, generator=g), y=y)  # keeps point_index as it is
    if vote_offset is not None:
        data.point_index = torch.arange(vote_offset, vote_offset + 50)
        data.label_hist = torch.nn.functional.one_hot(y, 2)
    return data


def test_a_child_module_learns_and_tests_by_votes():
    torch.manual_seed(0)
    task = SegmentationTask(2, ["a", "b"], vote_points=100)
    module = ChildModule(PointLinear(), task, optimizer=partial(torch.optim.Adam, lr=0.1))
    train = DataLoader([_cloud(i) for i in range(8)], batch_size=2)
    test = DataLoader([_cloud(100, 0), _cloud(101, 50)], batch_size=2)
    trainer = L.Trainer(max_epochs=15, accelerator="cpu", logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(module, train, DataLoader([_cloud(50)], batch_size=1))
        result = trainer.test(module, test, verbose=False)[0]
    assert result["test/miou"] > 80.0 and result["test/oa"] > 90.0, result

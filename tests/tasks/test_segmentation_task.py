"""SegmentationTask: target layout, a loss of labelled points only, region or vote measures per split,
and a ChildModule that learns and is tested by votes."""

from __future__ import annotations

import warnings
from functools import partial

import lightning as L
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.data import Data
from torch_geometric.loader import DataLoader

from nasforge.lit import ChildModule
from nasforge.tasks import SegmentationTask
from nasforge.tasks.segmentation_metrics import RegionConfusion, SceneVoteConfusion

NAMES = ["floor", "wall", "chair"]


def _logits(predicted: list[int], classes: int = 3) -> torch.Tensor:
    return F.one_hot(torch.tensor(predicted), classes).float() * 5


def _voting_batch() -> Data:
    return Data(
        y=torch.tensor([0, -1]),
        point_index=torch.tensor([3, 4]),
        label_hist=torch.tensor([[2, 0, 1], [0, 0, 0]], dtype=torch.int32),
    )


def test_the_target_is_the_labels_or_labels_index_and_counts():
    task = SegmentationTask(3, NAMES, vote_points=5)
    plain = Data(y=torch.tensor([0, 1], dtype=torch.int32))
    assert task.target(plain).dtype == torch.long and task.target(plain).tolist() == [0, 1]
    target = task.target(_voting_batch())
    assert target.dtype == torch.long
    assert target.tolist() == [[0, 3, 2, 0, 1], [-1, 4, 0, 0, 0]]
    with pytest.raises(ValueError, match=r"point_index needs label_hist \[N, 3\], got None"):
        task.target(Data(y=torch.tensor([0]), point_index=torch.tensor([0])))


def test_the_loss_ignores_unlabelled_points_in_either_layout():
    task = SegmentationTask(3, NAMES)
    logits = torch.randn(2, 3)
    changed = logits.clone()
    changed[1] = torch.tensor([9.0, -9.0, 3.0])  # the unlabelled point
    target = task.target(_voting_batch())
    assert torch.equal(task.loss(logits, target), task.loss(changed, target))
    torch.testing.assert_close(task.loss(logits, target), task.loss(logits, target[:, 0]))
    torch.testing.assert_close(task.loss(logits, target), F.cross_entropy(logits[:1], target[:1, 0]))


def test_the_loss_is_pytorchs_weighted_smoothed_mean_and_zero_without_labels():
    task = SegmentationTask(3, NAMES, label_smoothing=0.1, class_weights=[0.5, 2.0, 1.0])
    logits = torch.randn(6, 3, requires_grad=True)
    labels = torch.tensor([0, 1, 2, -1, 1, 0])
    expected = F.cross_entropy(
        logits, labels, weight=torch.tensor([0.5, 2.0, 1.0]), ignore_index=-1, label_smoothing=0.1
    )
    torch.testing.assert_close(task.loss(logits, labels), expected)
    none = task.loss(logits, torch.full((6,), -1))
    none.backward()
    assert float(none.detach()) == 0.0 and torch.equal(logits.grad, torch.zeros_like(logits))


def test_each_split_gets_region_or_vote_measures():
    voting = SegmentationTask(3, NAMES, vote_points=5)
    assert isinstance(voting.metrics("val")["seg"], RegionConfusion)
    assert isinstance(voting.metrics("test")["seg"], SceneVoteConfusion)
    assert isinstance(SegmentationTask(3, NAMES).metrics("test")["seg"], RegionConfusion)
    # region measures take the label column of a voting target
    metrics = voting.metrics("val")
    voting.update_metrics(metrics, _logits([0, 2]), voting.target(_voting_batch()))
    assert float(metrics.compute()["oa"]) == 100.0
    with pytest.raises(ValueError, match="carry no point_index/label_hist"):
        voting.update_metrics(voting.metrics("test"), _logits([0, 1]), torch.tensor([0, 1]))


def test_vote_measures_restart_each_epoch():
    task = SegmentationTask(3, NAMES, vote_points=5)
    metrics = task.metrics("test")
    target = task.target(_voting_batch())
    task.update_metrics(metrics, _logits([1, 1]), target)
    values = metrics.compute()
    assert float(values["oa"]) == 0.0 and float(values["coverage"]) == pytest.approx(40.0)
    metrics.reset()
    task.update_metrics(metrics, _logits([0, 1]), target)
    assert float(metrics.compute()["oa"]) == pytest.approx(200 / 3)  # voxel 3: two floors, a chair


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_classes": 1}, "num_classes must be >= 2, got 1"),
        ({"class_names": ["a", "b"]}, "class_names must be 3 distinct names"),
        ({"class_names": "abc"}, "got the string 'abc'"),
        ({"ignore_index": 1}, "ignore_index=1 is a class; use a value outside 0..2"),
        ({"vote_points": -1}, "vote_points must be >= 0"),
        ({"label_smoothing": 1.0}, r"label_smoothing must be in \[0, 1\)"),
        ({"class_weights": [1.0, -1.0, 1.0]}, "class_weights must be 3 values >= 0"),
        ({"monitor": "loss"}, r"monitor must be one of \('miou', 'oa', 'macc'\), got 'loss'"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SegmentationTask(**{"num_classes": 3, **kwargs})


def test_repr_and_monitor():
    task = SegmentationTask(3, NAMES, ignore_index=255, vote_points=7, monitor="oa")
    assert (task.monitor, task.monitor_mode) == ("oa", "max")
    assert repr(task) == (
        "SegmentationTask(num_classes=3, ignore_index=255, vote_points=7, label_smoothing=0.0, "
        "weighted=False, monitor='oa')"
    )


class PointLinear(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 2)

    def forward(self, batch):
        return self.linear(batch.x)


class _Region(Data):
    """A region whose ``point_index`` holds global ids, which batching must not offset."""

    def __inc__(self, key, value, *args, **kwargs):
        return 0 if key == "point_index" else super().__inc__(key, value, *args, **kwargs)


def _cloud(seed: int, vote_offset: int | None = None) -> Data:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(50, 2, generator=g)
    y = (x[:, 0] > 0).long()
    y[:5] = -1  # unlabelled points
    data = _Region(x=x, pos=torch.randn(50, 3, generator=g), y=y)
    if vote_offset is not None:
        data.point_index = torch.arange(vote_offset, vote_offset + 50)
        data.label_hist = F.one_hot(y.clamp(min=0), 2) * (y >= 0)[:, None]
    return data


def test_a_child_module_learns_and_is_tested_by_votes():
    torch.manual_seed(0)
    task = SegmentationTask(2, ["a", "b"], vote_points=100)
    module = ChildModule(PointLinear(), task, optimizer=partial(torch.optim.Adam, lr=1e-2))
    clouds = [_cloud(i) for i in range(8)]
    batch = next(iter(DataLoader(clouds, batch_size=8)))
    with torch.no_grad():
        before = float(task.loss(module(batch), task.target(batch)))
    trainer = L.Trainer(max_epochs=20, accelerator="cpu", logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Lightning's advice on workers and small logging intervals
        trainer.fit(module, DataLoader(clouds, batch_size=2), DataLoader([_cloud(50)], batch_size=1))
        test = DataLoader([_cloud(100, 0), _cloud(101, 50)], batch_size=2)
        result = trainer.test(module, test, verbose=False)[0]
    with torch.no_grad():
        after = float(task.loss(module(batch), task.target(batch)))
    assert after < 0.5 * before, (before, after)
    assert result["test/miou"] > 85.0 and result["test/oa"] > 90.0, result
    assert result["test/coverage"] == 100.0
    assert "test/loss" in result  # logged with batch_size=len(target) of the [N, 2 + C] target

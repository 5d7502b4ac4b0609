"""Segmentation measures: hand-counted and torchmetrics-checked scores, region confusion, and the
full-resolution confusion by votes against a brute-force count over explicit original points."""

from __future__ import annotations

import logging
import math

import pytest
import torch
import torch.nn.functional as F
from torchmetrics.functional.classification import multiclass_accuracy, multiclass_jaccard_index

from nasforge.tasks.segmentation_metrics import RegionConfusion, SceneVoteConfusion, segmentation_scores

NAMES = ["floor", "wall", "chair"]


def _logits(predicted: list[int], classes: int = 3) -> torch.Tensor:
    return F.one_hot(torch.tensor(predicted), classes).float() * 5


def _close(values: dict[str, torch.Tensor], expected: dict[str, torch.Tensor]) -> None:
    assert values.keys() >= expected.keys()
    for key, value in expected.items():
        torch.testing.assert_close(values[key], value, equal_nan=True, msg=key)


def test_scores_of_a_hand_counted_confusion_matrix():
    # rows: true class, columns: predicted class
    scores = segmentation_scores(torch.tensor([[3, 1, 0], [0, 2, 2], [0, 0, 0]]), NAMES)
    # floor: 3 / (4 + 3 - 3); wall: 2 / (4 + 3 - 2); chair: predicted twice, never true: 0, and it
    # counts in the mean
    assert float(scores["iou/floor"]) == pytest.approx(75.0)
    assert float(scores["iou/wall"]) == pytest.approx(40.0)
    assert float(scores["iou/chair"]) == 0.0
    assert float(scores["miou"]) == pytest.approx(115.0 / 3)
    assert float(scores["oa"]) == pytest.approx(62.5)
    assert float(scores["macc"]) == pytest.approx(100 * (0.75 + 0.5) / 2)  # chair has no label


def test_a_class_absent_from_labels_and_predictions_has_no_iou():
    scores = segmentation_scores(torch.tensor([[3, 1, 0], [0, 2, 0], [0, 0, 0]]), NAMES)
    assert math.isnan(scores["iou/chair"])
    assert float(scores["miou"]) == pytest.approx(100 * (0.75 + 2 / 3) / 2)
    empty = segmentation_scores(torch.zeros(3, 3, dtype=torch.long), NAMES)
    assert all(math.isnan(value) for value in empty.values())


def test_unpredicted_points_are_false_negatives_only():
    scores = segmentation_scores(torch.tensor([[2, 0], [0, 2]]), ["a", "b"], torch.tensor([0, 2]))
    assert float(scores["iou/a"]) == 100.0
    assert float(scores["iou/b"]) == pytest.approx(50.0)
    assert float(scores["oa"]) == pytest.approx(100 * 4 / 6)


def test_scores_agree_with_torchmetrics():
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(-1, 4, (500,), generator=g)  # class 4 never appears; -1 is ignored
    predicted = torch.randint(0, 4, (500,), generator=g)
    predicted[labels == 1] = 1  # one class far better than the others
    metric = RegionConfusion(["a", "b", "c", "d", "e"])
    metric.update(F.one_hot(predicted, 5).float(), labels)
    values = metric.compute()
    kwargs = {"num_classes": 5, "ignore_index": -1}
    torch.testing.assert_close(values["miou"], 100 * multiclass_jaccard_index(predicted, labels, **kwargs))
    per_class = 100 * multiclass_jaccard_index(predicted, labels, average=None, **kwargs)
    torch.testing.assert_close(torch.stack([values[f"iou/{n}"] for n in "abcd"]), per_class[:4])
    torch.testing.assert_close(
        values["oa"], 100 * multiclass_accuracy(predicted, labels, average="micro", **kwargs)
    )
    labelled = multiclass_accuracy(predicted, labels, average=None, **kwargs)[:4]
    torch.testing.assert_close(values["macc"], 100 * labelled.mean())
    assert math.isnan(values["iou/e"])  # torchmetrics says 0 for a class absent from both


def test_region_confusion_skips_ignored_points_and_resets():
    metric = RegionConfusion(NAMES, ignore_index=-1)
    metric.update(_logits([0, 1, 1, 1, 2, 2]), torch.tensor([0, 0, 1, 1, -1, -1]))
    values = metric.compute()
    assert float(values["oa"]) == pytest.approx(75.0)
    assert math.isnan(values["iou/chair"])  # the ignored points' predictions count nowhere
    assert float(values["miou"]) == pytest.approx(100 * (0.5 + 2 / 3) / 2)
    metric.reset()
    metric.update(_logits([0, 1]), torch.tensor([0, 1]))
    assert float(metric.compute()["oa"]) == 100.0
    assert repr(metric) == "RegionConfusion(classes=3, ignore_index=-1)"


def test_region_confusion_names_a_label_that_is_no_class():
    metric = RegionConfusion(NAMES, ignore_index=255)
    with pytest.raises(ValueError, match=r"label -1 is neither a class 0..2 nor the ignore_index 255"):
        metric.update(_logits([0, 1]), torch.tensor([0, -1]))
    with pytest.raises(ValueError, match=r"expected logits \[N, 3\] and labels \[N\]"):
        metric.update(torch.zeros(2, 4), torch.tensor([0, 1]))


def _label_hist(voxel: torch.Tensor, label: torch.Tensor, voxels: int, classes: int) -> torch.Tensor:
    """Labelled original points of each class per voxel, counted one original point at a time."""
    hist = torch.zeros(voxels, classes, dtype=torch.long)
    for m, t in zip(voxel.tolist(), label.tolist(), strict=True):
        if t >= 0:
            hist[m, t] += 1
    return hist


def test_votes_give_the_confusion_of_every_original_point():
    g = torch.Generator().manual_seed(1)
    voxels, classes = 30, 3
    # original points: their voxel and their label, -1 for an unlabelled one
    voxel = torch.randint(0, voxels, (400,), generator=g)
    label = torch.randint(-1, classes, (400,), generator=g)
    hist = _label_hist(voxel, label, voxels, classes)
    # overlapping regions: each voxel in at least one, most in several
    regions = [torch.arange(0, 14), torch.arange(8, 25), torch.arange(20, 30), torch.arange(5, 28, 2)]
    logits = [torch.randn(len(r), classes, generator=g) * 3 for r in regions]
    metric = SceneVoteConfusion(NAMES, num_points=voxels)
    for index, region_logits in zip(regions, logits, strict=True):
        metric.update(region_logits, index, hist[index])
    votes = torch.zeros(voxels, classes)
    for index, region_logits in zip(regions, logits, strict=True):
        for k, m in enumerate(index.tolist()):
            votes[m] += region_logits[k].softmax(dim=0)
    expected = torch.zeros(classes, classes, dtype=torch.long)
    for m, t in zip(voxel.tolist(), label.tolist(), strict=True):
        if t >= 0:
            expected[t, int(votes[m].argmax())] += 1
    values = metric.compute()
    _close(values, segmentation_scores(expected, NAMES))
    assert float(values["coverage"]) == 100.0


def test_the_summed_votes_win_over_the_most_confident_one():
    metric = SceneVoteConfusion(NAMES, num_points=1)
    hist = torch.tensor([[0, 3, 0]])
    for logits in ([0.0, 2.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 9.0]):  # wall, wall, a sure chair
        metric.update(torch.tensor([logits]), torch.tensor([0]), hist)
    assert float(metric.compute()["iou/wall"]) == 100.0


def test_votes_merged_across_processes_equal_one_process():
    g = torch.Generator().manual_seed(2)
    hist = torch.randint(0, 5, (6, 3), generator=g)
    regions = [torch.tensor([0, 1, 2, 3]), torch.tensor([2, 3, 4, 5]), torch.tensor([1, 4, 5])]
    logits = [torch.randn(len(r), 3, generator=g) for r in regions]
    whole, first, second = (SceneVoteConfusion(NAMES, num_points=6) for _ in range(3))
    for k, (index, region_logits) in enumerate(zip(regions, logits, strict=True)):
        whole.update(region_logits, index, hist[index])
        (first if k % 2 == 0 else second).update(region_logits, index, hist[index])
    first.merge_state(second)  # the reductions a distributed sync applies
    _close(first.compute(), whole.compute())


def test_a_voxel_no_region_reached_is_reported(caplog):
    metric = SceneVoteConfusion(NAMES, num_points=4)
    metric.update(_logits([0, 1]), torch.tensor([0, 1]), torch.tensor([[4, 0, 0], [0, 4, 0]]))
    with caplog.at_level(logging.WARNING):
        values = metric.compute()
    assert "2 of 4 subsampled points got no valid vote" in caplog.text
    assert float(values["coverage"]) == 50.0
    assert float(values["oa"]) == 100.0  # the points of voxels never reached are unknown to it


def test_a_voxel_with_nan_votes_counts_as_wrong(caplog):
    metric = SceneVoteConfusion(NAMES, num_points=2)
    logits = torch.tensor([[5.0, 0.0, 0.0], [float("nan"), 0.0, 0.0]])
    metric.update(logits, torch.tensor([0, 1]), torch.tensor([[4, 0, 0], [0, 4, 0]]))
    with caplog.at_level(logging.WARNING):
        values = metric.compute()
    assert "1 of 2 subsampled points got no valid vote" in caplog.text
    assert "the 4 original points known among them count as wrong" in caplog.text
    assert float(values["oa"]) == pytest.approx(50.0)
    assert float(values["iou/wall"]) == 0.0
    assert float(values["iou/floor"]) == 100.0


def test_votes_reset_and_check_their_inputs():
    metric = SceneVoteConfusion(NAMES, num_points=2)
    metric.update(_logits([1, 1]), torch.tensor([0, 1]), torch.tensor([[1, 0, 0], [1, 0, 0]]))
    assert float(metric.compute()["oa"]) == 0.0
    metric.reset()
    metric.update(_logits([0, 0]), torch.tensor([0, 1]), torch.tensor([[1, 0, 0], [1, 0, 0]]))
    assert float(metric.compute()["oa"]) == 100.0
    with pytest.raises(ValueError, match=r"point_index 0..2 is outside 0..1; num_points"):
        metric.update(_logits([0, 0]), torch.tensor([0, 2]), torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"label_hist \[N, 3\]"):
        metric.update(_logits([0, 0]), torch.tensor([0, 1]), torch.zeros(2, 2, dtype=torch.long))
    with pytest.raises(ValueError, match="num_points must be >= 1, got 0"):
        SceneVoteConfusion(NAMES, num_points=0)
    assert repr(metric) == "SceneVoteConfusion(classes=3, num_points=2)"

"""OODTask: loss and accuracy on ID images only, OOD detection on the splits that hold OOD sets."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from nasforge.tasks.ood import OODTask
from nasforge.tasks.ood_metrics import ood_measures, ood_score


def _batch():
    logits = torch.tensor(
        [[4.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.5, 0.0, 0.4], [0.1, 0.2, 0.0], [9.0, 0.0, 0.0]]
    )
    batch = {"label": torch.tensor([0, 2, 1, 0, 0]), "ood": torch.tensor([0, 0, 1, 2, 1])}
    return logits, batch


def test_the_loss_and_the_accuracy_count_in_distribution_images_only():
    task = OODTask(test_sets=["near", "far"])
    logits, batch = _batch()
    target = task.target(batch)
    assert target.tolist() == [[0, 0], [2, 0], [1, 1], [0, 2], [0, 1]]
    torch.testing.assert_close(task.loss(logits, target), F.cross_entropy(logits[:2], batch["label"][:2]))
    metrics = task.metrics("test")
    task.update_metrics(metrics, logits, target)
    values = metrics.compute()
    assert values["acc"] == pytest.approx(0.5)  # the first ID image right, the second wrong


def test_detection_is_measured_per_set_and_as_the_near_mean():
    task = OODTask(test_sets=["near", "far"], near=["near"], score="energy")
    logits, batch = _batch()
    metrics = task.metrics("test")
    task.update_metrics(metrics, logits, task.target(batch))
    values = metrics.compute()
    scores = ood_score(logits, "energy")
    expected = ood_measures(scores[:2], scores[[2, 4]])
    assert values["near/auroc"].item() == pytest.approx(expected["auroc"])
    assert values["auroc"].item() == pytest.approx(expected["auroc"])  # the mean over the near sets
    assert values["far/fpr95"].item() == pytest.approx(ood_measures(scores[:2], scores[[3]])["fpr95"])


def test_validation_is_in_distribution_only_unless_it_has_ood_sets():
    task = OODTask(test_sets=["near"])
    assert "ood" not in task.metrics("val")
    training_batch = {"label": torch.tensor([1, 0])}
    assert task.target(training_batch)[:, 1].tolist() == [0, 0]
    selecting = OODTask(test_sets=["near"], val_sets=["near"], monitor="auroc")
    assert "ood" in selecting.metrics("val") and selecting.monitor == "auroc"


def test_a_batch_of_ood_images_only_gives_a_zero_loss_that_keeps_the_graph():
    task = OODTask(test_sets=["near"])
    logits = torch.randn(3, 4, requires_grad=True)
    loss = task.loss(logits, torch.tensor([[0, 1], [1, 1], [2, 1]]))
    loss.backward()
    assert loss.item() == 0.0 and logits.grad is not None


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"test_sets": []}, "at least one OOD set"),
        ({"test_sets": ["near"], "monitor": "auroc"}, "needs an OOD validation set"),
        ({"test_sets": ["near"], "monitor": "loss"}, "monitor must be"),
        ({"test_sets": ["near"], "near": ["far"]}, r"near sets \['far'\]"),
        ({"test_sets": ["near"], "score": "entropy"}, "unknown kind"),
    ],
)
def test_bad_settings_are_refused_at_construction(kwargs, problem):
    with pytest.raises(ValueError, match=problem):
        OODTask(**kwargs)


def test_a_split_without_ood_images_reports_nan_detection_not_a_number():
    task = OODTask(test_sets=["near"])
    metrics = task.metrics("test")
    logits, batch = _batch()
    batch["ood"] = torch.zeros(5, dtype=torch.long)
    task.update_metrics(metrics, logits, task.target(batch))
    assert math.isnan(metrics.compute()["auroc"].item())

import pytest
import torch
import torch.nn.functional as F

from nasforge.tasks.classification import ClassificationTask


def _naive_topk(logits: torch.Tensor, target: torch.Tensor, k: int) -> float:
    hits = 0
    for row, label in zip(logits.tolist(), target.tolist(), strict=True):
        ranked = sorted(range(len(row)), key=lambda c: -row[c])
        hits += label in ranked[:k]
    return hits / len(target)


def test_metrics_match_naive_computation_over_several_updates():
    torch.manual_seed(0)
    task = ClassificationTask(top_k=(3, 5))
    logits, target = torch.randn(120, 10), torch.randint(0, 10, (120,))
    metrics = task.metrics()
    for chunk in torch.arange(120).split(50):  # uneven chunks: the mean must weight by count
        task.update_metrics(metrics, logits[chunk], target[chunk])
    values = metrics.compute()
    assert set(values) == {"acc", "acc_top3", "acc_top5"}
    for name, k in (("acc", 1), ("acc_top3", 3), ("acc_top5", 5)):
        assert values[name].item() == pytest.approx(_naive_topk(logits, target, k), abs=1e-6)


def test_top_k_beyond_the_class_count_counts_every_sample():
    task = ClassificationTask(top_k=(5,))
    metrics = task.metrics()
    task.update_metrics(metrics, torch.randn(8, 3), torch.randint(0, 3, (8,)))
    assert metrics.compute()["acc_top5"].item() == 1.0


def test_loss_is_cross_entropy_with_label_smoothing():
    torch.manual_seed(1)
    logits, target = torch.randn(6, 4), torch.tensor([0, 1, 2, 3, 0, 1])
    assert ClassificationTask().loss(logits, target).item() == pytest.approx(
        F.cross_entropy(logits, target).item()
    )
    smooth = ClassificationTask(label_smoothing=0.1).loss(logits, target)
    soft = torch.full((6, 4), 0.1 / 4).scatter_add_(1, target[:, None], torch.full((6, 1), 0.9))
    expected = -(soft * logits.log_softmax(1)).sum(1).mean()
    assert smooth.item() == pytest.approx(expected.item(), rel=1e-6)


def test_forward_feeds_images_and_scales_uint8():
    seen = {}

    def net(images):
        seen["images"] = images
        return images.flatten(1)[:, :2]

    task = ClassificationTask()
    batch = {"image": torch.full((2, 3, 4, 4), 255, dtype=torch.uint8), "label": torch.tensor([0, 1])}
    task.forward(net, batch)
    assert seen["images"].dtype == torch.float32 and torch.equal(seen["images"], torch.ones(2, 3, 4, 4))
    assert torch.equal(task.target(batch), batch["label"])
    assert (task.monitor, task.monitor_mode) == ("acc", "max")


def test_bad_settings_and_shapes_are_explained():
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        ClassificationTask(label_smoothing=1.0)
    with pytest.raises(ValueError, match="top_k must list distinct values >= 2"):
        ClassificationTask(top_k=(1, 5))
    task = ClassificationTask()
    with pytest.raises(ValueError, match=r"expected logits \[B, classes\] and labels \[B\]"):
        task.update_metrics(task.metrics(), torch.randn(4, 3), torch.zeros(5, dtype=torch.long))
    assert repr(task) == "ClassificationTask(label_smoothing=0.0, top_k=(5,))"

import pytest
import torch
import torch.nn.functional as F

from nasforge.tasks import CTRTask, LogLoss


def _pairwise_auc(scores: torch.Tensor, labels: torch.Tensor) -> float:
    pos, neg = scores[labels == 1], scores[labels == 0]
    diff = pos[:, None] - neg[None, :]
    return ((diff > 0).float() + 0.5 * (diff == 0).float()).mean().item()


def test_logloss_is_exact_over_several_updates():
    torch.manual_seed(0)
    logits, target = torch.randn(100), torch.randint(0, 2, (100,)).float()
    metric = LogLoss()
    for chunk in range(4):
        metric.update(logits[chunk * 25 : (chunk + 1) * 25], target[chunk * 25 : (chunk + 1) * 25])
    expected = F.binary_cross_entropy_with_logits(logits, target)
    assert metric.compute().item() == pytest.approx(expected.item(), rel=1e-6)


def test_logloss_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="logits"):
        LogLoss().update(torch.zeros(3), torch.zeros(4))


def test_ctr_task_metrics_match_naive_definitions():
    torch.manual_seed(1)
    task = CTRTask()
    logits, target = torch.randn(200), torch.randint(0, 2, (200,)).float()
    metrics = task.metrics()
    task.update_metrics(metrics, logits, target)
    values = metrics.compute()
    assert values["auc"].item() == pytest.approx(_pairwise_auc(logits, target), abs=1e-5)
    assert values["logloss"].item() == pytest.approx(
        F.binary_cross_entropy_with_logits(logits, target).item(), rel=1e-5
    )


def test_ctr_task_forward_uses_dense_and_sparse():
    seen = {}

    def net(dense, sparse):
        seen["args"] = (dense.shape, sparse.shape)
        return dense.sum(1)

    batch = {
        "dense": torch.ones(4, 3),
        "sparse": torch.zeros(4, 2, dtype=torch.int32),
        "label": torch.ones(4),
    }
    out = CTRTask().forward(net, batch)
    assert seen["args"] == ((4, 3), (4, 2))
    assert torch.equal(out, torch.full((4,), 3.0))

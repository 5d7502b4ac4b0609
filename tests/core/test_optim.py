import itertools
from functools import partial

import pytest
import torch
from torch import nn

from nasforge.core.training.optim import (
    DenseSparseOptimizer,
    build_optimizer,
    clip_grad_norm_mixed_,
    split_sparse_parameters,
)
from nasforge.core.training.schedules import warmup_cosine


class Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(50, 4, sparse=True)
        self.fc = nn.Linear(4, 1)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.fc(self.emb(idx)).squeeze(-1)


def _backward(model: Tiny) -> None:
    model.zero_grad()
    model(torch.tensor([1, 2, 2, 7])).pow(2).sum().backward()


def test_split_sparse_parameters():
    model = Tiny()
    dense, sparse = split_sparse_parameters(model)
    assert [p is model.emb.weight for p in sparse] == [True]
    assert len(dense) == 2


def test_clip_matches_dense_equivalent():
    torch.manual_seed(0)
    sparse_model = Tiny()
    dense_model = Tiny()
    dense_model.load_state_dict(sparse_model.state_dict())
    dense_model.emb.sparse = False
    _backward(sparse_model)
    _backward(dense_model)
    norm_sparse = clip_grad_norm_mixed_(sparse_model.parameters(), 0.1)
    norm_dense = torch.nn.utils.clip_grad_norm_(dense_model.parameters(), 0.1)
    assert torch.allclose(norm_sparse, norm_dense, rtol=1e-5)
    assert torch.allclose(sparse_model.emb.weight.grad.to_dense(), dense_model.emb.weight.grad, atol=1e-6)
    assert torch.allclose(sparse_model.fc.weight.grad, dense_model.fc.weight.grad, atol=1e-6)


def test_clip_leaves_small_gradients_alone():
    model = Tiny()
    _backward(model)
    before = model.fc.weight.grad.clone()
    clip_grad_norm_mixed_(model.parameters(), 1e6)
    assert torch.allclose(model.fc.weight.grad, before)


def test_adagrad_takes_everything_in_one_optimizer():
    opt = build_optimizer(Tiny(), partial(torch.optim.Adagrad, lr=0.1))
    assert isinstance(opt, torch.optim.Adagrad)


def test_adam_without_sparse_partner_is_a_clear_error():
    with pytest.raises(ValueError, match="SparseAdam"):
        build_optimizer(Tiny(), partial(torch.optim.Adam, lr=0.1))


def test_dense_sparse_optimizer_steps_both_and_follows_scheduler():
    model = Tiny()
    opt = build_optimizer(model, partial(torch.optim.Adam, lr=0.1), partial(torch.optim.SparseAdam, lr=0.1))
    assert isinstance(opt, DenseSparseOptimizer)
    scheduler = warmup_cosine(opt, total_steps=10, warmup_fraction=0.2)
    emb_before = model.emb.weight.detach().clone()
    fc_before = model.fc.weight.detach().clone()
    _backward(model)
    opt.step()
    scheduler.step()
    changed_rows = (model.emb.weight.detach() != emb_before).any(dim=1).nonzero().flatten().tolist()
    assert changed_rows == [1, 2, 7]
    assert not torch.equal(model.fc.weight, fc_before)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.1, 0.1])

    restored = build_optimizer(
        model, partial(torch.optim.Adam, lr=0.1), partial(torch.optim.SparseAdam, lr=0.1)
    )
    restored.load_state_dict(opt.state_dict())
    assert restored.state_dict()["sparse"]["state"].keys() == opt.state_dict()["sparse"]["state"].keys()
    with pytest.raises(ValueError, match="dense"):
        restored.load_state_dict({"state": {}, "param_groups": []})


def test_warmup_cosine_shape():
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = warmup_cosine(opt, total_steps=100, warmup_fraction=0.1)
    lrs = []
    for _ in range(100):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    assert lrs[0] == pytest.approx(0.1)
    assert max(lrs) == pytest.approx(1.0)
    assert lrs.index(max(lrs)) == 9
    assert all(a >= b for a, b in itertools.pairwise(lrs[9:]))
    assert lrs[-1] < 0.01


def test_warmup_cosine_rejects_bad_arguments():
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
    with pytest.raises(ValueError, match="total_steps"):
        warmup_cosine(opt, total_steps=0)
    with pytest.raises(ValueError, match="warmup_fraction"):
        warmup_cosine(opt, total_steps=10, warmup_fraction=1.5)

"""The two-optimiser module of differentiable searches: both sets of weights learn, the task loss
falls, the cost term is felt, and steps count batches."""

from __future__ import annotations

import functools

import lightning as L
import torch
from torch.utils.data import DataLoader

from nasforge.lit import DifferentiableSupernetModule
from nasforge.recsys.distdnas import DistDNASSpace, DistDNASSupernet
from nasforge.tasks import CTRTask

VOCAB = [6, 5, 7]


def _batch(seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    sparse = torch.stack([torch.randint(0, v, (64,), generator=g) for v in VOCAB], dim=1)
    label = ((sparse[:, 0] + sparse[:, 1]) % 2).float()  # an interaction of two fields
    return {"dense": torch.randn(64, 2, generator=g), "sparse": sparse, "label": label}


def _module(cost_weight: float) -> DifferentiableSupernetModule:
    torch.manual_seed(0)
    net = DistDNASSupernet(DistDNASSpace(num_blocks=2), 2, VOCAB, embedding_dim=4, dense_width=8, low_rank=2)
    return DifferentiableSupernetModule(
        net,
        CTRTask(),
        optimizer=functools.partial(torch.optim.Adagrad, lr=0.1),
        arch_optimizer=functools.partial(torch.optim.Adam, lr=0.05),
        cost_weight=cost_weight,
        gradient_clip_val=5.0,
    )


def _fit(module: DifferentiableSupernetModule, steps: int) -> L.Trainer:
    batch = _batch()
    trainer = L.Trainer(
        max_steps=steps,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
        limit_val_batches=0,
    )
    trainer.fit(module, DataLoader([batch] * steps, batch_size=None))
    return trainer


def _task_loss(module: DifferentiableSupernetModule) -> float:
    batch = _batch()
    with torch.no_grad():
        return float(module.task.loss(module.task.forward(module.net, batch), batch["label"]))


def test_weights_and_gates_learn_with_their_own_optimisers_and_the_loss_falls():
    module = _module(cost_weight=0.0)
    before = _task_loss(module)
    gates = module.net.module_logits.detach().clone()
    stem = module.net.stem.weight.detach().clone()
    trainer = _fit(module, steps=40)
    assert trainer.global_step == 40  # one step per batch, not one per optimiser
    assert _task_loss(module) < 0.8 * before
    assert not torch.equal(module.net.module_logits, gates) and not torch.equal(module.net.stem.weight, stem)
    network, arch = trainer.optimizers
    in_network = {id(p) for group in network.param_groups for p in group["params"]}
    assert all(id(p) not in in_network for p in module.net.arch_parameters())
    assert {id(p) for group in arch.param_groups for p in group["params"]} == {
        id(p) for p in module.net.arch_parameters()
    }


def test_a_larger_cost_weight_leaves_a_cheaper_supernet():
    cheap, free = _module(cost_weight=1.0), _module(cost_weight=0.0)
    _fit(cheap, steps=20)
    _fit(free, steps=20)
    assert float(cheap.net.expected_cost()) < float(free.net.expected_cost())

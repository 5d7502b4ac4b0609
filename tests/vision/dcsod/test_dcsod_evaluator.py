"""DCSOD's evaluator: OOD labels on the OOD validation set, and the teacher it feeds and learns from."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nasforge.checkpoints import CheckpointError
from nasforge.vision.data import CIFAROODDataModule
from nasforge.vision.dcsod import DCSODSpace, EvolvingTeacher
from nasforge.vision.dcsod.evaluator import OODProxyTrainer

SPACE = DCSODSpace(num_nodes=4, stages=[[8, 1, 1, 1], [16, 1, 2, 1]])


def _data(cifar10_dir, cifar100_dir, **kwargs) -> CIFAROODDataModule:
    dm = CIFAROODDataModule(
        path=str(cifar10_dir), other_cifar_path=str(cifar100_dir), batch_size=32, val_ood_images=40, **kwargs
    )
    dm.prepare_data()
    dm.setup("fit")
    return dm


def _trainer(dm, teacher=None) -> OODProxyTrainer:
    return OODProxyTrainer(SPACE, dm, teacher=teacher, steps=3, lr=0.05, device="cpu")


def test_an_architecture_is_labelled_by_its_ood_detection_deterministically(cifar10_dir, cifar100_dir):
    trainer = _trainer(_data(cifar10_dir, cifar100_dir, ood_val="auto"))
    arch = SPACE.sample(np.random.default_rng(0))
    first, again = trainer(arch), trainer(arch)
    assert set(first) == {"auroc", "fpr95", "aupr_in", "aupr_out", "acc", "loss", "flops", "params"}
    assert 0.0 <= first["auroc"] <= 100.0 and 0.0 <= first["acc"] <= 1.0
    assert first == again


def test_a_label_of_several_seeds_is_the_mean_of_one_seed_labels(cifar10_dir, cifar100_dir):
    dm = _data(cifar10_dir, cifar100_dir, ood_val="auto")
    arch = SPACE.sample(np.random.default_rng(5))
    one = [OODProxyTrainer(SPACE, dm, steps=3, lr=0.05, device="cpu", seed=seed)(arch) for seed in (7, 8)]
    both = OODProxyTrainer(SPACE, dm, steps=3, lr=0.05, device="cpu", seed=7, label_seeds=2)(arch)
    assert one[0]["auroc"] != one[1]["auroc"]
    for key in ("auroc", "fpr95", "acc", "loss"):
        assert both[key] == pytest.approx((one[0][key] + one[1][key]) / 2)
    assert both["flops"] == one[0]["flops"]
    with pytest.raises(ValueError, match="label_seeds must be a positive integer"):
        OODProxyTrainer(SPACE, dm, label_seeds=0)


def test_the_best_architecture_becomes_the_teacher_and_its_term_joins_the_loss(cifar10_dir, cifar100_dir):
    teacher = EvolvingTeacher(beta=1.0, temperature=2.0)
    trainer = _trainer(_data(cifar10_dir, cifar100_dir, ood_val="auto"), teacher)
    rng = np.random.default_rng(1)
    arch = SPACE.sample(rng)
    label = trainer(arch)
    assert teacher.arch == arch and teacher.score == label["auroc"]
    images, labels = torch.randn(4, 3, 32, 32), torch.tensor([0, 1, 2, 3])
    logits = torch.randn(4, 10)
    expected = F.cross_entropy(logits, labels) + teacher.loss(images, logits)
    torch.testing.assert_close(trainer.training_loss(images, logits, labels), expected)
    assert teacher.loss(images, logits).item() > 0


def test_a_teacher_with_train_steps_is_trained_anew_that_long_without_distillation(cifar10_dir, cifar100_dir):
    dm = _data(cifar10_dir, cifar100_dir, ood_val="auto")
    first, second = (SPACE.sample(np.random.default_rng(seed)) for seed in (3, 4))
    teacher = EvolvingTeacher(train_steps=5)
    trainer = _trainer(dm, teacher)
    trainer(first)  # becomes the teacher: trained anew for 5 steps, with no teacher yet
    plain = _trainer(dm)  # no teacher at all, so no distillation term
    images = torch.randn(4, 3, 32, 32)
    expected = plain.trained(first, steps=5)[0].eval()
    torch.testing.assert_close(teacher.network(images), expected(images))
    assert not torch.allclose(teacher.network(images), plain.trained(first)[0].eval()(images))

    # a later teacher is trained the same way although a teacher is in place: its network is the
    # plain 5-step one, not one distilled from the first teacher
    teacher.score = float("-inf")  # so that the next label wins
    trainer(second)
    assert teacher.arch == second
    torch.testing.assert_close(teacher.network(images), plain.trained(second, steps=5)[0].eval()(images))
    assert not trainer._training_teacher


def test_a_resumed_labelling_takes_up_the_saved_teacher(cifar10_dir, cifar100_dir, tmp_path):
    dm = _data(cifar10_dir, cifar100_dir, ood_val="auto")
    saved = tmp_path / "teacher.pt"
    teacher = EvolvingTeacher(checkpoint=saved)
    rng = np.random.default_rng(2)
    labels = {arch: _trainer(dm, teacher)(arch)["auroc"] for arch in (SPACE.sample(rng), SPACE.sample(rng))}
    assert saved.is_file() and teacher.score == max(labels.values())

    resumed = EvolvingTeacher(checkpoint=saved)
    _trainer(dm, resumed)  # a killed search's new evaluator, before it labels anything
    assert (resumed.arch, resumed.score, resumed.changes) == (teacher.arch, teacher.score, teacher.changes)
    images = torch.randn(4, 3, 32, 32)
    torch.testing.assert_close(resumed.network(images), teacher.network(images))
    assert not any(p.requires_grad for p in resumed.network.parameters())

    saved.write_bytes(saved.read_bytes()[:100])  # cut short by a killed write
    with pytest.raises(CheckpointError, match=r"cannot restore the teacher from .*teacher\.pt.*Delete it"):
        _trainer(dm, EvolvingTeacher(checkpoint=saved))


def test_a_validation_split_without_ood_sets_is_refused(cifar10_dir, cifar100_dir):
    with pytest.raises(ValueError, match=r"data\.ood_val=auto"):
        _trainer(_data(cifar10_dir, cifar100_dir))

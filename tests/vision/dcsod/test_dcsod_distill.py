"""Evolving distillation: the KD term and the teacher that follows the best architecture."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from nasforge.vision.dcsod import DCSODSpace
from nasforge.vision.dcsod.distill import EvolvingTeacher, distillation_loss


def test_the_distillation_loss_is_zero_when_teacher_equals_student_and_positive_otherwise():
    logits = torch.randn(5, 10)
    assert distillation_loss(logits, logits.clone()).item() == pytest.approx(0.0, abs=1e-6)
    assert distillation_loss(logits, torch.randn(5, 10)).item() > 0


def test_the_distillation_loss_matches_a_hand_computed_kl():
    student, teacher = torch.tensor([[0.0, 0.0]]), torch.tensor([[2.0, 0.0]])
    p = torch.softmax(teacher / 2.0, dim=1)[0]
    q = torch.tensor([0.5, 0.5])
    expected = 4.0 * float((p * (p / q).log()).sum())
    assert distillation_loss(student, teacher, temperature=2.0).item() == pytest.approx(expected)


def test_the_loss_pulls_the_student_towards_the_teacher_and_leaves_the_teacher_alone():
    student = torch.zeros(1, 3, requires_grad=True)
    teacher = torch.tensor([[3.0, 0.0, 0.0]], requires_grad=True)
    distillation_loss(student, teacher).backward()
    assert student.grad[0, 0] < 0  # descending raises the teacher's favourite class
    assert teacher.grad is None


def _archs(count: int):
    space = DCSODSpace(num_nodes=4)
    rng = np.random.default_rng(0)
    return [space.sample(rng) for _ in range(count)]


def test_the_teacher_follows_the_best_architecture_and_builds_only_the_networks_it_keeps():
    built = []

    def network(tag: float):
        def build() -> nn.Module:
            built.append(tag)
            return nn.Linear(4, 3)

        return build

    a, b, c = _archs(3)
    teacher = EvolvingTeacher(beta=0.5, temperature=2.0)
    assert teacher.loss(torch.randn(2, 4), torch.randn(2, 3)).item() == 0.0  # no teacher yet
    assert teacher.offer(a, 0.6, network(0.6))
    assert not teacher.offer(b, 0.5, network(0.5))
    assert teacher.offer(c, 0.7, network(0.7))
    assert teacher.arch == c and teacher.changes == 2 and built == [0.6, 0.7]
    assert not any(p.requires_grad for p in teacher.network.parameters())
    images, student = torch.randn(2, 4), torch.randn(2, 3)
    expected = 0.5 * distillation_loss(student, teacher.network(images), 2.0)
    torch.testing.assert_close(teacher.loss(images, student), expected)


def test_a_teacher_of_weight_zero_builds_no_network():
    teacher = EvolvingTeacher(beta=0.0)
    built = []
    arch = _archs(1)[0]
    assert not teacher.offer(arch, 70.0, lambda: built.append(arch) or nn.Linear(2, 2))
    assert built == [] and teacher.network is None and teacher.changes == 0
    assert teacher.loss(torch.randn(3, 2), torch.randn(3, 2)).item() == 0.0


def test_a_teacher_that_never_refreshes_keeps_the_first_architecture():
    a, b = _archs(2)
    teacher = EvolvingTeacher(refresh="never")
    teacher.offer(a, 0.1, lambda: nn.Linear(2, 2))
    assert not teacher.offer(b, 0.9, lambda: nn.Linear(2, 2))
    assert teacher.arch == a and math.isclose(teacher.score, 0.1)


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"beta": -1.0}, "beta >= 0"),
        ({"temperature": 0.0}, "temperature > 0"),
        ({"refresh": "daily"}, "refresh"),
        ({"train_steps": 0}, "train_steps"),
    ],
)
def test_bad_settings_are_refused(kwargs, problem):
    with pytest.raises(ValueError, match=problem):
        EvolvingTeacher(**kwargs)

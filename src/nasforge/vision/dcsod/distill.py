"""Evolving distillation: proxy trainings learn from the best architecture found so far.

DCSOD (arXiv:2406.01975) stabilises the noisy OOD evaluation of briefly trained architectures by
distilling, during each proxy training, from a teacher that evolves with the search: the best
architecture found so far. The loss term is the paper's, ``beta * T^2 * KL(teacher || student)`` on
temperature-softened class probabilities; the schedule is not public, so when the teacher changes
(:class:`EvolvingTeacher`'s ``refresh``) is this project's choice, a config value.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nasforge.checkpoints import CheckpointError, load_checkpoint
from nasforge.core.arch import Arch

__all__ = ["REFRESH_RULES", "EvolvingTeacher", "distillation_loss"]

#: when a better architecture replaces the teacher: at once, or never (the first one stays)
REFRESH_RULES = ("on_improvement", "never")


def distillation_loss(student_logits: Tensor, teacher_logits: Tensor, temperature: float = 4.0) -> Tensor:
    """``T^2 * KL(softmax(teacher / T) || softmax(student / T))``, averaged over the batch.

    ``T^2`` keeps the gradient's scale independent of ``T`` (Hinton et al., 2015); the teacher's logits
    carry no gradient. Zero exactly when both give the same distribution.
    """
    if temperature <= 0:
        raise ValueError(f"distillation_loss: temperature must be > 0, got {temperature}")
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(
            f"distillation_loss: student logits {tuple(student_logits.shape)} and teacher logits "
            f"{tuple(teacher_logits.shape)} differ in shape"
        )
    log_student = F.log_softmax(student_logits / temperature, dim=1)
    log_teacher = F.log_softmax(teacher_logits.detach() / temperature, dim=1)
    kl = F.kl_div(log_student, log_teacher, reduction="batchmean", log_target=True)
    return kl * temperature**2


class EvolvingTeacher:
    """The best architecture labelled so far and its trained network, as the proxy trainings' teacher.

    :meth:`offer` is called with each labelled architecture, its score (higher is better, e.g. the
    near-OOD AUROC on the OOD validation set) and a function that returns its trained network, so a
    network is kept only when it becomes the teacher. :meth:`loss` is the distillation term of a
    batch: zero while there is no teacher yet (the first trainings of a search have none).

    Args:
        beta: weight of the distillation term (default: 1.0).
        temperature: softening temperature ``T`` (default: 4.0).
        refresh: ``on_improvement`` (a better architecture becomes the teacher at once) or ``never``
            (the first one stays) (default: ``on_improvement``).
        checkpoint: file the teacher is written to each time it changes, and restored from by
            :meth:`restore`, so a resumed search labels on with the teacher it had (default: None,
            kept in memory only).
        train_steps: how the evaluator makes a new teacher's network: ``None`` takes the network its
            proxy training left; a number trains the architecture anew for that many steps, without
            distillation, so the teacher knows more than the briefly trained students it teaches
            (default: None).
    """

    def __init__(
        self,
        beta: float = 1.0,
        temperature: float = 4.0,
        refresh: str = "on_improvement",
        checkpoint: str | Path | None = None,
        train_steps: int | None = None,
    ) -> None:
        if beta < 0 or temperature <= 0:
            raise ValueError(
                f"EvolvingTeacher: need beta >= 0 and temperature > 0, got {beta}, {temperature}"
            )
        if refresh not in REFRESH_RULES:
            raise ValueError(f"EvolvingTeacher: refresh must be one of {REFRESH_RULES}, got {refresh!r}")
        if train_steps is not None and (not isinstance(train_steps, int) or train_steps < 1):
            raise ValueError(
                f"EvolvingTeacher: train_steps must be a positive integer or None, got {train_steps!r}"
            )
        self.beta, self.temperature, self.refresh = float(beta), float(temperature), refresh
        self.train_steps = train_steps
        self.arch: Arch | None = None
        self.score = float("-inf")
        self.network: nn.Module | None = None
        self.changes = 0
        self.checkpoint = Path(checkpoint) if checkpoint is not None else None

    def offer(self, arch: Arch, score: float, network: Callable[[], nn.Module]) -> bool:
        """Make ``arch`` the teacher if the rule says so; whether it did. With ``beta == 0`` there is
        nothing to teach, so no network is built or kept."""
        if self.beta == 0:
            return False
        first = self.network is None
        if not (first or (self.refresh == "on_improvement" and score > self.score)):
            return False
        self.arch, self.score, self.network = arch, float(score), _frozen(network())
        self.changes += 1
        self._save()
        return True

    def _save(self) -> None:
        if self.checkpoint is None or self.network is None or self.arch is None:
            return
        self.checkpoint.parent.mkdir(parents=True, exist_ok=True)
        partial = self.checkpoint.with_name(self.checkpoint.name + ".partial")
        state = {"state_dict": self.network.state_dict(), "arch": self.arch.to_json()}
        torch.save({**state, "score": self.score, "changes": self.changes}, partial)
        os.replace(partial, self.checkpoint)  # a killed write never leaves half a teacher

    def restore(self, build: Callable[[Arch], nn.Module]) -> bool:
        """Take up the teacher saved in :attr:`checkpoint`, its network made by ``build(arch)``;
        whether there was one. A file that cannot be read or does not fit stops with its name."""
        if self.checkpoint is None or not self.checkpoint.is_file():
            return False
        where = f"EvolvingTeacher: cannot restore the teacher from {self.checkpoint}"
        try:
            saved = load_checkpoint(self.checkpoint)
            arch = Arch.from_json(saved["arch"], str(self.checkpoint))
            model = build(arch)
            model.load_state_dict(saved["state_dict"])
            score, changes = float(saved["score"]), int(saved["changes"])
        except (CheckpointError, KeyError, TypeError, ValueError, RuntimeError) as error:
            raise CheckpointError(f"{where}: {error}. Delete it to label on without a teacher.") from error
        self.arch, self.score, self.network, self.changes = arch, score, _frozen(model), changes
        return True

    def loss(self, images: Tensor, student_logits: Tensor) -> Tensor:
        """``beta * T^2 * KL(teacher || student)`` on ``images``; zero without a teacher or with
        ``beta == 0``."""
        if self.network is None or self.beta == 0:
            return student_logits.new_zeros(())
        with torch.no_grad():
            teacher_logits = self.network(images)
        return self.beta * distillation_loss(student_logits, teacher_logits, self.temperature)

    def __repr__(self) -> str:
        teacher = self.arch.hash if self.arch is not None else None
        return (
            f"{type(self).__name__}(beta={self.beta}, temperature={self.temperature}, "
            f"refresh={self.refresh!r}, train_steps={self.train_steps}, teacher={teacher}, "
            f"score={self.score:.4g}, changes={self.changes})"
        )


def _frozen(model: nn.Module) -> nn.Module:
    """``model`` in eval mode without gradients: a teacher only answers."""
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model

"""Stop a training run the moment its loss stops being finite, instead of training on NaNs and
reporting them as results."""

from __future__ import annotations

import torch

__all__ = ["TrainingDivergedError", "check_finite_loss"]


class TrainingDivergedError(RuntimeError):
    """The training loss became NaN or infinite: the run stops, records nothing as finished and
    exits non-zero, so a sweeper sees a failed trial rather than a number."""


def check_finite_loss(loss: torch.Tensor, step: int, what: str, learning_rate: float | None = None) -> None:
    """Raise :class:`TrainingDivergedError` naming ``what`` was trained, the step and the likely cause
    when ``loss`` is not finite.

    This reads the loss on the host once per step (a synchronisation on a GPU), the price of stopping
    at the step where training diverged.
    """
    if bool(torch.isfinite(loss.detach()).all()):
        return
    rate = f" (lr={learning_rate:g})" if learning_rate is not None else ""
    raise TrainingDivergedError(
        f"{what}: the training loss is {float(loss.detach().float().mean())} at step {step}, so training "
        f"stopped. The usual cause is a learning rate too high for this model{rate}: lower it "
        "(model.optimizer.lr), or clip gradients (trainer.gradient_clip_val)."
    )

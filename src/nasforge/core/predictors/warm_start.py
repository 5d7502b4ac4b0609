"""Start a predictor's training from another predictor's weights (PIDS's cost-to-accuracy transfer)."""

from __future__ import annotations

from torch import nn

__all__ = ["warm_start"]


def warm_start(model: nn.Module, source: nn.Module, owner: str = "warm_start") -> None:
    """Copy every weight and buffer of ``source`` into ``model``, which must have the same entries of
    the same shapes; ``source`` is left as it is.

    A predictor of a cheap label (FLOPs, known for any number of architectures) has learnt how the
    genes build a network; starting the predictor of a costly label (accuracy) from it needs fewer of
    those labels (`PIDS <https://arxiv.org/abs/2211.15759>`_).

    Raises a :class:`ValueError` naming ``owner`` and the first entry that differs.
    """
    target, weights = model.state_dict(), source.state_dict()
    for key in sorted(target.keys() | weights.keys()):
        if key not in target or key not in weights:
            where = "the source" if key in weights else "the model"
            raise ValueError(
                f"{owner}: {type(source).__name__} and {type(model).__name__} differ: only {where} has "
                f"{key!r}; warm-start from a predictor of the same kind and settings"
            )
        if target[key].shape != weights[key].shape:
            raise ValueError(
                f"{owner}: {key!r} has shape {list(weights[key].shape)} in the source but "
                f"{list(target[key].shape)} in the model; warm-start from a predictor of the same space "
                "and settings (hidden_channels, num_layers)"
            )
    model.load_state_dict(weights)

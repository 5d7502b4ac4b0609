r"""How much of the input survives each layer: active units and similarity to the input.

The "dissipating inputs" of arXiv:2402.08645: in a plain net each ReLU zeroes part of its input, so
with depth the features lose what they had of the image. Two measures per layer, on one batch:

- ``active_fraction``: share of the layer's output units that are positive (a ReLU passes them;
  zero means the unit is dead for that image). For PNNH's signed carried channels and for transformer
  tokens about a half means an intact signal.
- ``cka_input`` / ``cka_first``: linear CKA (Kornblith et al., ICML 2019, arXiv:1905.00414) between
  the layer's features and the input images / the first tapped layer, over the batch:

.. math::
    \mathrm{CKA}(X, Y) = \frac{\langle K_c, L_c \rangle_F}{\lVert K_c \rVert_F \lVert L_c \rVert_F},
    \quad K = X X^\top,\ L = Y Y^\top,

with features centred over the batch. 1 means the same representation up to rotation and scale; a
layer that kept nothing of the image sits near the CKA of unrelated features.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

__all__ = ["centered_gram", "linear_cka", "survival_profile", "tapped_layers"]


def centered_gram(x: Tensor) -> Tensor:
    """``X_c X_c^T`` in float64 for features ``x`` ``[N, ...]`` flattened per sample and centred over N."""
    flat = x.detach().reshape(len(x), -1).double()
    flat = flat - flat.mean(dim=0, keepdim=True)
    return flat @ flat.T


def _gram_cka(k: Tensor, m: Tensor) -> float:
    denominator = math.sqrt(float((k * k).sum()) * float((m * m).sum()))
    return float((k * m).sum()) / denominator if denominator > 0 else 0.0


def linear_cka(x: Tensor, y: Tensor) -> float:
    """Linear CKA of two feature batches ``[N, ...]`` (same N); 0 when either is constant over N."""
    if len(x) != len(y) or len(x) < 2:
        raise ValueError(f"linear_cka: need two batches of the same size >= 2, got {len(x)} and {len(y)}")
    return _gram_cka(centered_gram(x), centered_gram(y))


def tapped_layers(net: nn.Module) -> list[tuple[str, nn.Module]]:
    """The modules whose outputs are measured: the stem and every block of a ResNet-like net
    (``stages``), or the patch embedding and every block of a ViT-like net (``blocks``)."""
    if hasattr(net, "stages"):
        return [("stem", net.maxpool)] + [
            (f"layer{s + 1}.{i}", block)
            for s, stage in enumerate(net.stages)
            for i, block in enumerate(stage)
        ]
    if hasattr(net, "blocks") and hasattr(net, "patch_embed"):
        return [("embed", net.patch_embed)] + [(f"blocks.{i}", block) for i, block in enumerate(net.blocks)]
    raise TypeError(
        f"tapped_layers: {type(net).__name__} has neither 'stages' (ResNet-like) nor 'blocks' and "
        "'patch_embed' (ViT-like); pass a network of the vision.models or vision.pnnh families"
    )


@torch.no_grad()
def survival_profile(net: nn.Module, images: Tensor) -> list[dict[str, Any]]:
    """Per tapped layer, in order: ``{"layer", "depth", "active_fraction", "cka_input", "cka_first"}``.

    The net runs once in eval mode on ``images`` (normalised, ``[N, C, H, W]``, N >= 2); each layer's
    output is reduced to its batch Gram matrix inside a forward hook, so a deep net costs no more
    memory than a shallow one.

    Args:
        net: a ResNet- or ViT-like network (see :func:`tapped_layers`).
        images: the batch to measure on.
    """
    if images.dim() != 4 or len(images) < 2:
        raise ValueError(
            f"survival_profile: expected a batch of >= 2 images [N, C, H, W], got {tuple(images.shape)}"
        )
    input_gram = centered_gram(images)
    rows: list[dict[str, Any]] = []
    first: list[Tensor] = []

    def record(name: str):
        def hook(module: nn.Module, args: Any, output: Tensor) -> None:
            gram = centered_gram(output)
            if not first:
                first.append(gram)
            rows.append({
                "layer": name, "depth": len(rows), "active_fraction": float((output > 0).float().mean()),
                "cka_input": _gram_cka(input_gram, gram), "cka_first": _gram_cka(first[0], gram),
            })  # fmt: skip

        return hook

    handles = [module.register_forward_hook(record(name)) for name, module in tapped_layers(net)]
    was_training = net.training
    try:
        net.eval()(images)
    finally:
        for handle in handles:
            handle.remove()
        net.train(was_training)
    return rows

r"""PNNH: deep plain networks without residual connections (Zhang et al., "Peeking Behind the Curtains
of Residual Learning", arXiv:2402.08645, which states the Plain Neural Net Hypothesis).

Why: without shortcuts, each ReLU zeroes about half of its inputs and the input "dissipates" with
depth; the paper traces the success of residual learning to the *internal path* that carries the
input across the non-linear layers, and trains plain nets deep by giving them such a path: a
weight-sharing *coder* beside the *learner*, in place of the identity shortcut.

The construction here. What the paper's abstract and summaries confirm: a dual-path block of a
weight-sharing coder and a learner, an internal path *across* the non-linear layers, no residual
connections, CNNs and ViTs on CIFAR-10/100 and ImageNet-1k. The layer shapes below could not be
checked against the paper's text and are this package's choices, made so that the internal path
provably carries the input at initialisation:

- **Learner**: the plain block of the baseline, unchanged but narrower (ResNet's shortcut-free
  :class:`~nasforge.vision.models.BasicBlock`/``Bottleneck``; ViT's residual-free
  :class:`~nasforge.vision.models.TransformerBlock`), writing ``1 - code_ratio`` of the output channels.
- **Coder** (:class:`Coder`): ``D ReLU(E x)`` writing the other ``code_ratio`` of the channels.
  Initialised as ``E = [P; -P]``, ``D = [I, -I]``, it passes the carried channels through the ReLU
  exactly (``ReLU(x) - ReLU(-x) = x``), so at initialisation a signal survives any depth, but through
  a non-linearity and trainable weights, not around them.
- **Join** (:class:`PNNHBlock`): concatenation along channels, never an addition; the next block
  reads both parts as a plain layer reads its inputs. In the ResNets each block normalises the
  coder's output with its own BatchNorm (a coder shared by ``n`` blocks compounds its gain ``n``
  times; without the norm PNNH ResNet-56 diverged under SGD at 0.05). The ViT needs none: every
  block starts with a LayerNorm of the whole token.
- **Sharing**: one coder per stage for all same-shaped blocks of a ResNet, one for the whole ViT; a
  block that changes width or resolution has its own (striding by average pooling).

Modules: :class:`PNNHResNet` (``pnnh_resnet18/34/50``), :class:`PNNHVisionTransformer`
(``pnnh_vit_small/tiny``), :func:`build_variant` (residual / plain / PNNH at one depth),
:mod:`~nasforge.vision.pnnh.survival` (how much of the input survives each layer),
``python -m nasforge.vision.pnnh.analyze`` (plot + JSON of that) and the pipeline stage
:class:`nasforge.vision.pnnh.stages.SurvivalStage` (imported from its module, so the networks load
without the pipeline).
"""

from nasforge.vision.pnnh.block import PNNHBlock
from nasforge.vision.pnnh.coder import Coder
from nasforge.vision.pnnh.resnet import (
    PNNHResNet,
    pnnh_resnet18,
    pnnh_resnet34,
    pnnh_resnet50,
    split_channels,
)
from nasforge.vision.pnnh.survival import linear_cka, survival_profile, tapped_layers
from nasforge.vision.pnnh.variants import FAMILIES, VARIANTS, build_variant, cifar_resnet, cifar_vit
from nasforge.vision.pnnh.vit import PNNHVisionTransformer, pnnh_vit_small, pnnh_vit_tiny

__all__ = [
    "FAMILIES",
    "VARIANTS",
    "Coder",
    "PNNHBlock",
    "PNNHResNet",
    "PNNHVisionTransformer",
    "build_variant",
    "cifar_resnet",
    "cifar_vit",
    "linear_cka",
    "pnnh_resnet18",
    "pnnh_resnet34",
    "pnnh_resnet50",
    "pnnh_vit_small",
    "pnnh_vit_tiny",
    "split_channels",
    "survival_profile",
    "tapped_layers",
]

"""Baseline image classifiers (plain ``nn.Module``\\ s) sharing timm's surface.

Every model maps ``forward(images [B, in_chans, H, W]) -> logits [B, num_classes]`` and offers
``forward_features``, ``forward_head``, ``reset_classifier`` and ``reset_parameters``.
"""

from nasforge.vision.models.basic_block import BasicBlock
from nasforge.vision.models.bottleneck import Bottleneck
from nasforge.vision.models.resnet import BLOCKS, STEMS, ResNet, resnet18, resnet34, resnet50
from nasforge.vision.models.shortcut import projection_shortcut
from nasforge.vision.models.transformer_block import Attention, TransformerBlock
from nasforge.vision.models.vit import VisionTransformer, vit_small, vit_tiny

__all__ = [
    "BLOCKS",
    "STEMS",
    "Attention",
    "BasicBlock",
    "Bottleneck",
    "ResNet",
    "TransformerBlock",
    "VisionTransformer",
    "projection_shortcut",
    "resnet18",
    "resnet34",
    "resnet50",
    "vit_small",
    "vit_tiny",
]

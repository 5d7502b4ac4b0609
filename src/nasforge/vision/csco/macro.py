"""Macro settings of CSCO networks as data: stem, stage table and head of each variant.

:data:`MACROS` is a registry by name, not a preset a config names by ``_target_``, because files store
the name: the variant is part of the space's name (``csco-<variant>``), which every saved
architecture, history and predictor file carries and is checked against, so a variant name must keep
meaning the same macro network.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["MACROS", "Macro", "StageSpec"]


class StageSpec(NamedTuple):
    """One stage: ``repeats`` cells sharing one wiring, the first with ``stride``.

    ``expansion`` sets the node width of each cell: ``channels_in * expansion``.
    """

    channels: int
    repeats: int
    stride: int
    expansion: int


class Macro(NamedTuple):
    """The fixed frame around the searched cells."""

    stem_channels: int
    stem_stride: int
    stages: tuple[StageSpec, ...]
    head_channels: int


#: variant -> macro network (a registry: saved files name the variant, see above)
MACROS: dict[str, Macro] = {
    # 32x32 inputs: stride-1 stem, three downsamplings to 4x4; small enough for CPU tests.
    "cifar": Macro(
        stem_channels=16,
        stem_stride=1,
        stages=(
            StageSpec(16, 1, 1, 1),
            StageSpec(24, 2, 2, 2),
            StageSpec(40, 2, 2, 2),
            StageSpec(80, 1, 2, 2),
        ),
        head_channels=320,
    ),
    # 224x224 inputs: MobileNetV2's channels, repeats and strides (224 -> 7). A cell holds 13 operators
    # where MobileNetV2's block holds one depthwise conv, and its leaf concatenation already widens it,
    # so nodes keep the input width (expansion 1): a sampled network costs about 0.7-0.8 GMACs.
    "imagenet": Macro(
        stem_channels=32,
        stem_stride=2,
        stages=(
            StageSpec(16, 1, 1, 1),
            StageSpec(24, 2, 2, 1),
            StageSpec(32, 3, 2, 1),
            StageSpec(64, 4, 2, 1),
            StageSpec(96, 3, 1, 1),
            StageSpec(160, 3, 2, 1),
            StageSpec(320, 1, 1, 1),
        ),
        head_channels=1280,
    ),
}

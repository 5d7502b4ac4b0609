"""The NAS-Bench-Macro space (Su et al., CVPR 2021): eight layers, each one of three blocks.

Genes are the 8-character code of the published table (``"22212220"``), one character a layer:
``0`` identity, ``1`` MobileNetV2 block with kernel 3 and expansion 3, ``2`` MobileNetV2 block with
kernel 5 and expansion 6. A key of the table is thus an architecture's genes.
"""

from __future__ import annotations

from collections.abc import Sequence

from nasforge.core.tabular.categorical_space import CategoricalSpace

__all__ = ["BLOCKS", "NUM_LAYERS", "NASBenchMacroSpace", "parse_code"]

#: the choice of a layer (its character in the code) and the block it stands for
BLOCKS: dict[str, str] = {"0": "identity", "1": "mbconv_k3_e3", "2": "mbconv_k5_e6"}
NUM_LAYERS = 8


def parse_code(code: object) -> tuple[str, ...]:
    """The layer choices of a code, one character each; :class:`ValueError` naming what is wrong."""
    if not isinstance(code, str):
        raise ValueError(f"a NAS-Bench-Macro code must be a string, got {type(code).__name__}")
    if len(code) != NUM_LAYERS:
        raise ValueError(f"code {code!r} has {len(code)} characters, expected {NUM_LAYERS} (one per layer)")
    for layer, char in enumerate(code):
        if char not in BLOCKS:
            raise ValueError(f"code {code!r}, layer {layer}: {char!r} is not one of {list(BLOCKS)}")
    return tuple(code)


class NASBenchMacroSpace(CategoricalSpace):
    """The 6,561 (3^8) architectures of NAS-Bench-Macro; genes are the code string."""

    def __init__(self) -> None:
        super().__init__("nasbench-macro", 1, [tuple(BLOCKS)] * NUM_LAYERS)

    def genes_from_choices(self, choices: Sequence[str]) -> str:
        return "".join(choices)

    def choices_from_genes(self, genes: object) -> tuple[str, ...]:
        return parse_code(genes)

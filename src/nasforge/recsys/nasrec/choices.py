"""The choices of the NASRec search space: operator names, widths and the two published spaces.

From `"NASRec: Weight Sharing Neural Architecture Search for Recommender Systems"
<https://arxiv.org/abs/2207.07187>`_ (Zhang et al., 2023).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "BINARY_DENSE_OPS",
    "DENSE_OPS",
    "DENSE_WIDTHS",
    "PUBLISHED",
    "SPARSE_OPS",
    "SPARSE_WIDTHS",
    "ZERO",
    "draw_one",
]

ZERO = "zero"
#: Dense operators: a fully connected layer, sigmoid gating, element-wise sum, dot product, zero.
DENSE_OPS = ("fc", "sigmoid_gating", "sum", "dot_product", ZERO)
#: Dense operators with a left and a right input set (the others read the left set only). The dot
#: product is not one of them: it crosses the left dense input with the block's *sparse* input (the
#: DLRM-style interaction of the paper), so its second operand is ``sparse_in``.
BINARY_DENSE_OPS = frozenset({"sigmoid_gating", "sum"})
#: Sparse operators: a linear layer along the feature axis (EFC), self-attention, zero.
SPARSE_OPS = ("efc", "attention", ZERO)
DENSE_WIDTHS = (16, 32, 64, 128, 256, 512, 768, 1024)
SPARSE_WIDTHS = (16, 32, 48, 64)

#: Constructor keywords of the spaces of the paper, by label (``nasrec-full``, ``nasrec-small``).
PUBLISHED: dict[str, dict[str, Any]] = {
    "full": {
        "num_blocks": 7,
        "dense_ops": DENSE_OPS,
        "sparse_ops": SPARSE_OPS,
        "dense_widths": DENSE_WIDTHS,
        "sparse_widths": SPARSE_WIDTHS,
        "max_inputs": 3,
        "connection_k": 2,
    },
    "small": {
        "num_blocks": 7,
        "dense_ops": ("fc", "dot_product", ZERO),
        "sparse_ops": ("efc", ZERO),
        "dense_widths": DENSE_WIDTHS,
        "sparse_widths": SPARSE_WIDTHS,
        "max_inputs": 3,
        "connection_k": 2,
    },
}


def draw_one(ops: Sequence[str], rng: np.random.Generator) -> tuple[str, ...]:
    """One operator of ``ops``, uniformly (the single-operator draw)."""
    return (ops[int(rng.integers(len(ops)))],)

"""The parameters of a NASRec block, declared once as a table of named axes.

Every parameter is listed with the axes of its shape (``width``, ``left``, ``rows``, ...). A child
network allocates each axis at the size its architecture needs; the supernet allocates it at the largest
size any path can need, and a path reads its part back by slicing each axis: a prefix for widths, an
index for the concatenated inputs (each source's columns sit at a fixed offset of the supernet's
input). Because one table drives both, a child built from supernet slices computes exactly what the
supernet computes on that path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from nasforge.recsys.nasrec.block_path import BlockPath
from nasforge.recsys.nasrec.choices import ZERO

__all__ = ["PARAMS", "BlockLayout", "block_owners", "block_sizes", "init_block_params", "new_block_params"]

#: name -> (owner, axes). The owner is the operator (or merge switch) that uses the parameter.
PARAMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "fc_weight": ("fc", ("width", "left")),
    "fc_bias": ("fc", ("width",)),
    "fc_norm_weight": ("fc", ("width",)),
    "fc_norm_bias": ("fc", ("width",)),
    "gate_left_weight": ("sigmoid_gating", ("width", "left")),
    "gate_left_bias": ("sigmoid_gating", ("width",)),
    "gate_right_weight": ("sigmoid_gating", ("width", "right")),
    "gate_right_bias": ("sigmoid_gating", ("width",)),
    "gate_norm_weight": ("sigmoid_gating", ("width",)),
    "gate_norm_bias": ("sigmoid_gating", ("width",)),
    "sum_left_weight": ("sum", ("width", "left")),
    "sum_left_bias": ("sum", ("width",)),
    "sum_right_weight": ("sum", ("width", "right")),
    "sum_right_bias": ("sum", ("width",)),
    "sum_norm_weight": ("sum", ("width",)),
    "sum_norm_bias": ("sum", ("width",)),
    "dot_dense_weight": ("dot_product", ("emb", "left")),
    "dot_dense_bias": ("dot_product", ("emb",)),
    "dot_rows_weight": ("dot_product", ("dot", "dot_in")),
    "dot_norm_weight": ("dot_product", ("width",)),
    "dot_norm_bias": ("dot_product", ("width",)),
    "efc_weight": ("efc", ("swidth", "rows")),
    "efc_bias": ("efc", ("swidth", "one")),
    "efc_norm_weight": ("efc", ("emb",)),
    "efc_norm_bias": ("efc", ("emb",)),
    "att_rows_weight": ("attention", ("swidth", "rows")),
    "att_qkv_weight": ("attention", ("emb3", "emb")),
    "att_qkv_bias": ("attention", ("emb3",)),
    "att_out_weight": ("attention", ("emb", "emb")),
    "att_out_bias": ("attention", ("emb",)),
    "att_norm_weight": ("attention", ("emb",)),
    "att_norm_bias": ("attention", ("emb",)),
    "s2d_weight": ("sparse_to_dense", ("width", "emb")),
    "s2d_bias": ("sparse_to_dense", ("width",)),
    "s2d_norm_weight": ("sparse_to_dense", ("width",)),
    "s2d_norm_bias": ("sparse_to_dense", ("width",)),
    "d2s_weight": ("dense_to_sparse", ("merge", "width")),
    "d2s_bias": ("dense_to_sparse", ("merge",)),
}

# Axes a path reads as a prefix of the supernet's; the index axes are "left", "right", "rows", "dot_in".
_PREFIX_AXES = frozenset({"width", "swidth"})


@dataclass(frozen=True)
class BlockLayout:
    """Sizes shared by every block of one network: embedding width, merge rows, dot-product rows."""

    embedding_dim: int
    merge_rows: int
    dot_rows: int

    def fixed_sizes(self) -> dict[str, int]:
        e = self.embedding_dim
        return {"emb": e, "emb3": 3 * e, "merge": self.merge_rows * e, "dot": self.dot_rows, "one": 1}


def block_owners(block: BlockPath) -> set[str]:
    """The operators and merges of ``block`` that own parameters."""
    owners = {*block.dense_ops, *block.sparse_ops} - {ZERO}
    owners |= {key for key in ("dense_to_sparse", "sparse_to_dense") if getattr(block, key)}
    return owners


def block_sizes(
    block: BlockPath, dense_widths: Sequence[int], sparse_rows: Sequence[int], layout: BlockLayout
) -> dict[str, int]:
    """Size of every axis for ``block``, given the width of each source's dense output and the row
    count of each source's sparse output (index 0 = raw features)."""
    rows = sum(sparse_rows[s] for s in block.sparse_in)
    return {
        **layout.fixed_sizes(),
        "width": block.dense_width,
        "swidth": block.sparse_width,
        "left": sum(dense_widths[s] for s in block.dense_left),
        "right": sum(dense_widths[s] for s in block.dense_right),
        "rows": rows,
        "dot_in": 1 + rows,
    }


def new_block_params(owners: set[str], sizes: Mapping[str, int]) -> nn.ParameterDict:
    """Uninitialised parameters of ``owners`` at ``sizes`` (see :func:`init_block_params`)."""
    return nn.ParameterDict(
        {
            name: nn.Parameter(torch.empty([sizes[axis] for axis in axes]))
            for name, (owner, axes) in PARAMS.items()
            if owner in owners
        }
    )


@torch.no_grad()
def init_block_params(params: Mapping[str, Tensor]) -> None:
    """Norm scales one, biases zero, weights ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` like ``nn.Linear``,
    but the dot product's row projection, which starts near the identity."""
    for name, tensor in params.items():
        if name.endswith("norm_weight"):
            tensor.fill_(1.0)
        elif name.endswith("_bias"):
            tensor.zero_()
        elif name == "dot_rows_weight":
            # near the identity: the dot product starts as DLRM's interaction of the input rows
            # themselves (a random mix of rows trains markedly worse), and learns to mix them
            bound = 0.1 / math.sqrt(max(1, tensor.shape[-1]))
            tensor.uniform_(-bound, bound).add_(torch.eye(*tensor.shape))
        else:
            bound = 1.0 / math.sqrt(max(1, tensor.shape[-1]))
            tensor.uniform_(-bound, bound)


def slice_param(
    tensor: Tensor, name: str, sizes: Mapping[str, int], index: Mapping[str, Tensor | slice]
) -> Tensor:
    """The part of a supernet parameter that a path with axis ``sizes`` and input ``index`` reads."""
    for dim, axis in enumerate(PARAMS[name][1]):
        if axis in _PREFIX_AXES:
            tensor = tensor.narrow(dim, 0, sizes[axis])
        elif axis in index:
            where = index[axis]
            if isinstance(where, slice):
                tensor = tensor.narrow(dim, where.start, where.stop - where.start)
            else:
                tensor = tensor.index_select(dim, where)
    return tensor

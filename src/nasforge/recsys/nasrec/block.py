"""One NASRec block as a function of its parameters, shared by the supernet and its children.

A block reads the concatenated dense outputs of its ``dense_left`` (and ``dense_right``) sources and
the concatenated sparse outputs (rows of embedding vectors) of its ``sparse_in`` sources, and produces a
dense output ``[B, dense_width]`` and a sparse output ``[B, sparse_width (+ merge rows), E]``.

Operators (each followed by a LayerNorm, over the width for dense and over the embedding for sparse):

* ``fc``: ``relu(W x_left + b)``;
* ``sigmoid_gating``: ``(W_l x_left + b_l) * sigmoid(W_r x_right + b_r)``;
* ``sum``: ``(W_l x_left + b_l) + (W_r x_right + b_r)``;
* ``dot_product`` (with operator balancing): the left input projected to one embedding row joins the
  sparse rows; a linear map along the row axis brings them to ``dot_rows`` rows, whose pairwise inner
  products (``dot_rows * (dot_rows - 1) / 2``, about as many as the widest FC has outputs) are cut to
  the block's width. Without the projection the number of products would grow with the square of the
  (varying) input row count and swamp the other operators;
* ``efc``: a linear map along the row axis to ``sparse_width`` rows;
* ``attention``: the same row projection, then multi-head self-attention over those rows (QKV and
  output projections) with a residual connection;
* ``zero``: zeros of the block's width.

Merges: ``sparse_to_dense`` adds a projection of the FM second-order vector of the sparse output to the
dense output (normalised too: the FM vector grows with the square of the row count);
``dense_to_sparse`` appends a projection of the dense output as ``merge_rows`` extra sparse rows.
Several operators of one side (any-path or full-path training) are summed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from nasforge.recsys.models.interaction import fm_interaction
from nasforge.recsys.nasrec.block_path import BlockPath
from nasforge.recsys.nasrec.choices import ZERO

__all__ = ["block_forward"]

Params = Mapping[str, Tensor]


def block_forward(
    params: Params,
    block: BlockPath,
    dense_sources: Sequence[Tensor],
    sparse_sources: Sequence[Tensor],
    dot_pairs: Tensor,
    attention_heads: int,
) -> tuple[Tensor, Tensor]:
    """Dense ``[B, dense_width]`` and sparse ``[B, rows, E]`` outputs of ``block``.

    Args:
        params: the block's parameters at the sizes of ``block`` (a child's own, or supernet slices).
        block: operators, widths, sources and merges.
        dense_sources: dense outputs by source (index 0 = raw dense features).
        sparse_sources: sparse outputs by source (index 0 = raw embeddings).
        dot_pairs: flat upper-triangle indices of a ``dot_rows x dot_rows`` Gram matrix.
        attention_heads: heads of the attention operator.
    """
    left = _concat([dense_sources[s] for s in block.dense_left])
    right = _concat([dense_sources[s] for s in block.dense_right]) if block.is_binary else left
    rows = _concat([sparse_sources[s] for s in block.sparse_in])
    batch = rows.shape[0]

    dense_terms = [
        _DENSE_OPS[op](params, left, right, rows, block.dense_width, dot_pairs)
        for op in block.dense_ops
        if op != ZERO
    ]
    dense = _sum(dense_terms) if dense_terms else rows.new_zeros(batch, block.dense_width)
    sparse_terms = [_SPARSE_OPS[op](params, rows, attention_heads) for op in block.sparse_ops if op != ZERO]
    if not sparse_terms:
        sparse_terms = [rows.new_zeros(batch, block.sparse_width, rows.shape[-1])]
    sparse = _sum(sparse_terms)

    dense_out, sparse_out = dense, sparse
    if block.sparse_to_dense:
        fm = fm_interaction(sparse, reduce_sum=False)
        dense_out = dense_out + _norm(_linear(fm, params, "s2d"), params, "s2d")
    if block.dense_to_sparse:
        merged = F.linear(dense, params["d2s_weight"], params["d2s_bias"])
        sparse_out = torch.cat([sparse_out, merged.view(batch, -1, rows.shape[-1])], dim=1)
    return dense_out, sparse_out


def _concat(tensors: list[Tensor]) -> Tensor:
    return tensors[0] if len(tensors) == 1 else torch.cat(tensors, dim=1)


def _sum(tensors: list[Tensor]) -> Tensor:
    total = tensors[0]
    for t in tensors[1:]:
        total = total + t
    return total


def _norm(x: Tensor, params: Params, prefix: str) -> Tensor:
    return F.layer_norm(x, x.shape[-1:], params[f"{prefix}_norm_weight"], params[f"{prefix}_norm_bias"])


def _linear(x: Tensor, params: Params, prefix: str) -> Tensor:
    return F.linear(x, params[f"{prefix}_weight"], params[f"{prefix}_bias"])


def _fc(p: Params, left: Tensor, right: Tensor, rows: Tensor, width: int, pairs: Tensor) -> Tensor:
    return F.relu(_norm(_linear(left, p, "fc"), p, "fc"))


def _gating(p: Params, left: Tensor, right: Tensor, rows: Tensor, width: int, pairs: Tensor) -> Tensor:
    return _norm(_linear(left, p, "gate_left") * torch.sigmoid(_linear(right, p, "gate_right")), p, "gate")


def _add(p: Params, left: Tensor, right: Tensor, rows: Tensor, width: int, pairs: Tensor) -> Tensor:
    return _norm(_linear(left, p, "sum_left") + _linear(right, p, "sum_right"), p, "sum")


def _dot(p: Params, left: Tensor, right: Tensor, rows: Tensor, width: int, pairs: Tensor) -> Tensor:
    dense_row = _linear(left, p, "dot_dense").unsqueeze(1)
    fields = torch.matmul(p["dot_rows_weight"], torch.cat([dense_row, rows], dim=1))
    gram = torch.bmm(fields, fields.transpose(1, 2))
    return _norm(gram.flatten(1)[:, pairs[:width]], p, "dot")


def _efc(p: Params, rows: Tensor, heads: int) -> Tensor:
    return _norm(torch.matmul(p["efc_weight"], rows) + p["efc_bias"], p, "efc")


def _attention(p: Params, rows: Tensor, heads: int) -> Tensor:
    x = torch.matmul(p["att_rows_weight"], rows)
    batch, length, dim = x.shape
    qkv = _linear(x, p, "att_qkv").view(batch, length, 3, heads, dim // heads).permute(2, 0, 3, 1, 4)
    attended = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
    attended = attended.transpose(1, 2).reshape(batch, length, dim)
    return _norm(x + _linear(attended, p, "att_out"), p, "att")


_DENSE_OPS: dict[str, Callable[..., Tensor]] = {
    "fc": _fc,
    "sigmoid_gating": _gating,
    "sum": _add,
    "dot_product": _dot,
}
_SPARSE_OPS: dict[str, Callable[..., Tensor]] = {"efc": _efc, "attention": _attention}

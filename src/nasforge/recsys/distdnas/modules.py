"""The candidate interaction modules of a DistDNAS block, and which stream each one writes.

Every module reads the block's two inputs, a dense vector ``[B, d]`` and sparse field vectors
``[B, N, D]``, and the raw features in the same two shapes (the network's source 0: what DCN-v2
calls ``x0``); it writes the block's outputs: a *dense* module returns ``[B, d]``, a *sparse* module
``[B, N, D]`` and a *two-stream* module (the cross layers, which cross every feature with every
raw feature as DCN-v2 does) both. Orders and types follow the interactions of the CTR models the search
is meant to cover: FC (MLP), DLRM's pairwise dot product, the FM bi-interaction, DCN-v2's cross layer
(full and low rank), NASRec's efficient FC over fields (EFC), AutoInt's self-attention and a
sigmoid gating unit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

from nasforge.recsys.models.interacting_layer import InteractingLayer
from nasforge.recsys.models.interaction import dot_interaction, fm_interaction, pair_indices

__all__ = [
    "DENSE_MODULES",
    "MODULES",
    "OPTIONAL_MODULES",
    "SPARSE_MODULES",
    "TWO_STREAM_MODULES",
    "BlockTriangularLinear",
    "ModuleWidths",
    "build_module",
]


class ModuleWidths:
    """The widths every module of a network is built at.

    Args:
        dense: width ``d`` of the dense stream.
        fields: number ``N`` of sparse fields.
        embedding: width ``D`` of a sparse field.
        low_rank: rank of the low-rank cross layer.
        attention_heads: heads of the self-attention module (must divide ``embedding``).
    """

    def __init__(self, dense: int, fields: int, embedding: int, low_rank: int, attention_heads: int) -> None:
        if embedding % attention_heads:
            raise ValueError(
                f"DistDNAS: embedding_dim={embedding} must be divisible by attention_heads={attention_heads}"
            )
        self.dense, self.fields, self.embedding = dense, fields, embedding
        self.low_rank, self.attention_heads = low_rank, attention_heads


class _DenseMLP(nn.Module):
    """FC: ``relu(W x + b)`` on the dense input."""

    def __init__(self, w: ModuleWidths) -> None:
        super().__init__()
        self.linear = nn.Linear(w.dense, w.dense)

    def forward(self, dense: Tensor, sparse: Tensor, raw_dense: Tensor, raw_sparse: Tensor) -> Tensor:
        return torch.relu(self.linear(dense))


class BlockTriangularLinear(nn.Module):
    """``U x + b`` with ``U`` block upper-triangular: the rows of block ``r`` read the columns from
    block ``r``'s start on.

    A quadratic form ``x^T M x`` needs only the upper triangle of ``M``, so a cross layer with this
    map reaches every second-order term the full one does for about half its FLOPs: each row block
    is its own matrix product, so a FLOP counter sees only what is computed. The weights start as the
    blocks of one Xavier-initialised full matrix, at the full layer's scale (per-block Xavier would
    start the last blocks, of fan-in ``D``, several times larger).

    Args:
        width: input and output width.
        starts: the first column of each block, ascending from 0.
    """

    def __init__(self, width: int, starts: Sequence[int]) -> None:
        super().__init__()
        if not starts or starts[0] != 0 or list(starts) != sorted(set(starts)) or starts[-1] >= width:
            raise ValueError(
                f"BlockTriangularLinear: starts must ascend from 0 below {width}, got {list(starts)}"
            )
        self.starts = tuple(starts)
        ends = (*self.starts[1:], width)
        full = nn.init.xavier_normal_(torch.empty(width, width))
        self.rows = nn.ModuleList(nn.Linear(width - s, e - s) for s, e in zip(self.starts, ends, strict=True))
        with torch.no_grad():
            for s, e, row in zip(self.starts, ends, self.rows, strict=True):
                row.weight.copy_(full[s:e, s:])
                row.bias.zero_()

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([row(x[:, s:]) for s, row in zip(self.starts, self.rows, strict=True)], dim=1)


class _Cross(nn.Module):
    """DCN-v2's crossing term on both streams at once: ``x0 * (W x + b)``, with ``x`` the block's dense
    vector and every field concatenated and ``x0`` the raw features alike (DCN-v2's full input
    width); the result is split back into the two streams. The block's residual adds the ``+ x`` of
    DCN-v2's layer. ``W`` is full, of rank ``low_rank`` (``U V^T``) or block upper-triangular with
    the dense vector and each field as blocks (:class:`BlockTriangularLinear`)."""

    def __init__(self, w: ModuleWidths, form: str) -> None:
        super().__init__()
        self.dense_width, self.fields, self.embedding = w.dense, w.fields, w.embedding
        width = w.dense + w.fields * w.embedding
        if form == "triangular":
            starts = [0, *(w.dense + f * w.embedding for f in range(w.fields))]
            self.weight: nn.Module = BlockTriangularLinear(width, starts)  # initialises itself
        else:
            self.weight = (
                nn.Linear(width, width)
                if form == "full"
                else nn.Sequential(nn.Linear(width, w.low_rank, bias=False), nn.Linear(w.low_rank, width))
            )
            for module in self.weight.modules():
                if isinstance(module, nn.Linear):
                    nn.init.xavier_normal_(module.weight)
                    if module.bias is not None:
                        nn.init.zeros_(module.bias)

    def forward(
        self, dense: Tensor, sparse: Tensor, raw_dense: Tensor, raw_sparse: Tensor
    ) -> tuple[Tensor, Tensor]:
        x = torch.cat([dense, sparse.flatten(1)], dim=1)
        crossed = torch.cat([raw_dense, raw_sparse.flatten(1)], dim=1) * self.weight(x)
        return crossed[:, : self.dense_width], crossed[:, self.dense_width :].unflatten(
            1, (self.fields, self.embedding)
        )


class _Gating(nn.Module):
    """Sigmoid gating: ``x * sigmoid(W x + b)``, each unit scaled by a learned function of all."""

    def __init__(self, w: ModuleWidths) -> None:
        super().__init__()
        self.linear = nn.Linear(w.dense, w.dense)

    def forward(self, dense: Tensor, sparse: Tensor, raw_dense: Tensor, raw_sparse: Tensor) -> Tensor:
        return dense * torch.sigmoid(self.linear(dense))


class _FieldInteraction(nn.Module):
    """Base of the second-order modules: the sparse fields plus the dense input projected to one more
    field, crossed, then projected to the dense width."""

    def __init__(self, w: ModuleWidths, crossed_width: int) -> None:
        super().__init__()
        self.dense_field = nn.Linear(w.dense, w.embedding)
        self.out = nn.Linear(crossed_width, w.dense)

    def fields(self, dense: Tensor, sparse: Tensor) -> Tensor:
        return torch.cat([sparse, self.dense_field(dense).unsqueeze(1)], dim=1)


class _Dot(_FieldInteraction):
    """DLRM's pairwise dot products of the fields, ``<v_i, v_j>`` for ``i < j``."""

    pairs: Tensor

    def __init__(self, w: ModuleWidths) -> None:
        n = w.fields + 1
        super().__init__(w, n * (n - 1) // 2)
        self.register_buffer("pairs", pair_indices(n), persistent=False)

    def forward(self, dense: Tensor, sparse: Tensor, raw_dense: Tensor, raw_sparse: Tensor) -> Tensor:
        return self.out(dot_interaction(self.fields(dense, sparse), index=self.pairs))


class _FM(_FieldInteraction):
    """The FM bi-interaction vector of the fields (NFM's pooling, ``O(ND)``)."""

    def __init__(self, w: ModuleWidths) -> None:
        super().__init__(w, w.embedding)

    def forward(self, dense: Tensor, sparse: Tensor, raw_dense: Tensor, raw_sparse: Tensor) -> Tensor:
        return self.out(fm_interaction(self.fields(dense, sparse), reduce_sum=False))


class _EFC(nn.Module):
    """NASRec's efficient FC: a linear map across the fields, shared by every embedding dimension."""

    def __init__(self, w: ModuleWidths) -> None:
        super().__init__()
        self.linear = nn.Linear(w.fields, w.fields)

    def forward(self, dense: Tensor, sparse: Tensor, raw_dense: Tensor, raw_sparse: Tensor) -> Tensor:
        return self.linear(sparse.transpose(1, 2)).transpose(1, 2)


class _Attention(nn.Module):
    """AutoInt's multi-head self-attention over the fields, with its residual projection."""

    def __init__(self, w: ModuleWidths) -> None:
        super().__init__()
        heads = w.attention_heads
        self.layer = InteractingLayer(w.embedding, w.embedding // heads, heads, residual=True, use_scale=True)

    def forward(self, dense: Tensor, sparse: Tensor, raw_dense: Tensor, raw_sparse: Tensor) -> Tensor:
        return self.layer(sparse)


#: dense-output modules: name -> builder
DENSE_MODULES: dict[str, Callable[[ModuleWidths], nn.Module]] = {
    "mlp": _DenseMLP,
    "dot": _Dot,
    "fm": _FM,
    "gating": _Gating,
}
#: sparse-output modules: name -> builder
SPARSE_MODULES: dict[str, Callable[[ModuleWidths], nn.Module]] = {"efc": _EFC, "attention": _Attention}
#: modules that write both streams (a ``(dense, sparse)`` pair): name -> builder
TWO_STREAM_MODULES: dict[str, Callable[[ModuleWidths], nn.Module]] = {
    "cross": lambda w: _Cross(w, "full"),
    "cross_low_rank": lambda w: _Cross(w, "low_rank"),
    "cross_triangular": lambda w: _Cross(w, "triangular"),
}
#: every module, in the order the space lists them by default
MODULES: tuple[str, ...] = ("mlp", "dot", "fm", "cross", "cross_low_rank", "gating", "efc", "attention")
#: modules a space may add to :data:`MODULES`; not searched unless named
OPTIONAL_MODULES: tuple[str, ...] = ("cross_triangular",)


def build_module(name: str, widths: ModuleWidths) -> nn.Module:
    """The module called ``name`` at ``widths``."""
    builder = DENSE_MODULES.get(name) or SPARSE_MODULES.get(name) or TWO_STREAM_MODULES.get(name)
    if builder is None:
        raise ValueError(
            f"DistDNAS: unknown interaction module {name!r}; choose from {[*MODULES, *OPTIONAL_MODULES]}"
        )
    return builder(widths)

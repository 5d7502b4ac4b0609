"""The standalone NASRec network of one architecture, and what it shares with the supernet.

Both run the same :func:`~nasforge.recsys.nasrec.block.block_forward` through :class:`NASRecBase`;
the child owns parameters of exactly its architecture's sizes, the supernet
(:mod:`~nasforge.recsys.nasrec.supernet`) the largest ones, which it slices per path (see
:mod:`~nasforge.recsys.nasrec.block_params`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from nasforge.core.arch import Arch
from nasforge.recsys.models.ctr_model import CTRModel
from nasforge.recsys.models.embedding import FeatureEmbedding
from nasforge.recsys.models.head import LogitHead
from nasforge.recsys.models.interaction import pair_indices
from nasforge.recsys.nasrec.block import Params, block_forward
from nasforge.recsys.nasrec.block_params import (
    BlockLayout,
    block_owners,
    block_sizes,
    init_block_params,
    new_block_params,
)
from nasforge.recsys.nasrec.block_path import BlockPath, NASRecPath, path_from_arch
from nasforge.recsys.nasrec.space import NASRecSpace

__all__ = ["BlockInputs", "NASRecBase", "NASRecNet", "balanced_dot_rows", "load_arch"]

#: ``(index, block, params, dense_sources, sparse_sources) -> (params, dense_sources, sparse_sources)``:
#: what block ``index`` reads, rewritten (the quantising networks of ``nasforge.recsys.pim`` fake-quantise it)
BlockInputs = Callable[
    [int, BlockPath, Params, Sequence[Tensor], Sequence[Tensor]],
    tuple[Params, Sequence[Tensor], Sequence[Tensor]],
]


def balanced_dot_rows(max_dense_width: int) -> int:
    """Operator balancing: the fewest rows ``m`` whose ``m (m - 1) / 2`` pairwise products cover the
    widest dense output (46 rows for width 1024, about ``sqrt(2 * 1024)``)."""
    return math.ceil((1 + math.sqrt(1 + 8 * max_dense_width)) / 2)


def load_arch(arch: Arch | str | Path | Mapping[str, Any]) -> Arch:
    """An :class:`Arch` from itself, a JSON file path or its dict form."""
    if isinstance(arch, Arch):
        return arch
    if isinstance(arch, (str, Path)):
        return Arch.load(arch)
    return Arch.from_dict(arch, source="model.arch")


class NASRecBase(CTRModel):
    """What the supernet and the child share: embeddings, sizes, and the loop over blocks."""

    dot_pairs: Tensor
    #: a block whose outputs no later block reads gets no gradient
    leaves_parameters_unused = True

    def __init__(
        self,
        space: NASRecSpace,
        num_dense: int,
        vocab_sizes: Sequence[int],
        embedding_dim: int,
        merge_rows: int,
        dot_rows: int | None,
        attention_heads: int,
        sparse_grad: bool,
    ) -> None:
        super().__init__(num_dense, vocab_sizes, embedding_dim)
        if embedding_dim % attention_heads:
            raise ValueError(
                f"{type(self).__name__}: embedding_dim={embedding_dim} must be divisible by "
                f"attention_heads={attention_heads}"
            )
        max_width = max(space.dense_widths)
        dot_rows = balanced_dot_rows(max_width) if dot_rows is None else dot_rows
        if dot_rows * (dot_rows - 1) // 2 < max_width:
            raise ValueError(
                f"{type(self).__name__}: dot_rows={dot_rows} gives {dot_rows * (dot_rows - 1) // 2} pairwise "
                f"products, fewer than the widest dense output ({max_width}); use at least "
                f"{balanced_dot_rows(max_width)}"
            )
        self.space = space
        self.layout = BlockLayout(embedding_dim, merge_rows, dot_rows)
        self.attention_heads = attention_heads
        self.embedding = FeatureEmbedding(vocab_sizes, embedding_dim, sparse=sparse_grad)
        self.register_buffer("dot_pairs", pair_indices(dot_rows), persistent=False)

    def source_sizes(self, path: NASRecPath) -> tuple[list[int], list[int]]:
        """Dense width and sparse row count of each source's output on ``path`` (0 = raw features)."""
        dense = [self.num_dense, *(b.dense_width for b in path)]
        rows = [self.num_sparse]
        rows += [b.sparse_width + self.layout.merge_rows * b.dense_to_sparse for b in path]
        return dense, rows

    def _allocate(
        self,
        path: NASRecPath,
        dense_widths: Sequence[int],
        sparse_rows: Sequence[int],
        owners: Callable[[BlockPath], set[str]],
    ) -> None:
        """Parameters of every block of ``path`` for ``owners(block)``, sized by the sources' outputs,
        and a head on the last block's outputs (see :meth:`_run_blocks`); then initialise everything."""
        self.blocks = nn.ModuleList(
            new_block_params(owners(b), block_sizes(b, dense_widths, sparse_rows, self.layout)) for b in path
        )
        self.head = LogitHead(dense_widths[-1] + sparse_rows[-1] * self.embedding_dim)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.embedding.reset_parameters()
        for params in self.blocks:
            init_block_params(params)
        self.head.reset_parameters()

    def _run_blocks(
        self,
        dense: Tensor | None,
        sparse: Tensor,
        path: NASRecPath,
        params: Callable[[int], Params],
        block_inputs: BlockInputs | None = None,
    ) -> Tensor:
        """The head's input: the last block's dense output and its sparse output flattened, as the final
        layer of the NASRec reference code reads them. A last block with a zero dense operator still
        predicts through its sparse rows."""
        dense, sparse = self.normalize_inputs(dense, sparse)
        dense_sources, sparse_sources = [dense], [self.embedding(sparse)]
        for index, block in enumerate(path):
            p, ds, ss = params(index), dense_sources, sparse_sources
            if block_inputs is not None:
                p, ds, ss = block_inputs(index, block, p, ds, ss)
            d, s = block_forward(p, block, ds, ss, self.dot_pairs, self.attention_heads)
            dense_sources.append(d)
            sparse_sources.append(s)
        return torch.cat([dense_sources[-1], sparse_sources[-1].flatten(1)], dim=1)

    def network_kwargs(self) -> dict[str, Any]:
        """Keywords that build another network of the same space and sizes (``NASRecNet(arch, **kw)``)."""
        return {
            "space": self.space,
            "num_dense": self.num_dense,
            "vocab_sizes": self.vocab_sizes,
            "embedding_dim": self.embedding_dim,
            "merge_rows": self.layout.merge_rows,
            "dot_rows": self.layout.dot_rows,
            "attention_heads": self.attention_heads,
            "sparse_grad": self.embedding.sparse,
        }

    def extra_repr(self) -> str:
        return f"space={self.space.name}, {super().extra_repr()}, dot_rows={self.layout.dot_rows}"


class NASRecNet(NASRecBase):
    """A standalone NASRec network: one architecture, its own parameters at their own sizes.

    Train it from scratch (``experiment=nasrec_criteo_child model.net.arch=<best_arch.json>``) or get it
    with inherited weights from :meth:`~nasforge.recsys.nasrec.NASRecSupernet.child`.

    Args:
        arch: the architecture: an :class:`Arch`, a path to its JSON file, or its dict form.
        space: the space the architecture belongs to (it is validated against it).
        num_dense: dense features of the data.
        vocab_sizes: rows of each categorical feature's table.
        embedding_dim: embedding width ``E`` (default: ``16``).
        merge_rows: sparse rows a dense-to-sparse merge appends (default: ``1``).
        dot_rows: rows of the balanced dot product; ``None`` picks :func:`balanced_dot_rows` of the
            space's widest dense width, as the supernet does (default: ``None``).
        attention_heads: heads of the attention operator (default: ``2``).
        sparse_grad: sparse embedding gradients (default: ``True``).
    """

    def __init__(
        self,
        arch: Arch | str | Path | Mapping[str, Any],
        space: NASRecSpace,
        num_dense: int,
        vocab_sizes: Sequence[int],
        embedding_dim: int = 16,
        merge_rows: int = 1,
        dot_rows: int | None = None,
        attention_heads: int = 2,
        sparse_grad: bool = True,
    ) -> None:
        super().__init__(
            space, num_dense, vocab_sizes, embedding_dim, merge_rows, dot_rows, attention_heads, sparse_grad
        )
        self.arch = load_arch(arch)
        space.validate(self.arch)
        self.path = path_from_arch(self.arch)
        self._allocate(self.path, *self.source_sizes(self.path), owners=block_owners)

    def forward_features(self, dense: Tensor | None, sparse: Tensor) -> Tensor:
        return self._run_blocks(dense, sparse, self.path, lambda index: self.blocks[index])

    def extra_repr(self) -> str:
        return f"arch={self.arch.hash}, {super().extra_repr()}"

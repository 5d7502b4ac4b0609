"""The NASRec weight-sharing supernet and the standalone child network of one architecture.

Both run the same :func:`~nasforge.recsys.nasrec.block.block_forward`; the child owns parameters of
exactly its architecture's sizes, the supernet owns the largest ones and slices them per path (see
:mod:`~nasforge.recsys.nasrec.block_params`). :meth:`NASRecSupernet.child` copies the slices into a
child, so inherited weights compute exactly what the supernet computed on that path.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from nasforge.core.arch import Arch, InvalidArchError
from nasforge.recsys.models.ctr_model import CTRModel
from nasforge.recsys.models.embedding import FeatureEmbedding
from nasforge.recsys.models.head import LogitHead
from nasforge.recsys.models.interaction import pair_indices
from nasforge.recsys.nasrec.block import block_forward
from nasforge.recsys.nasrec.block_params import (
    PARAMS,
    BlockLayout,
    block_owners,
    block_sizes,
    init_block_params,
    new_block_params,
    slice_param,
)
from nasforge.recsys.nasrec.nasrec_space import NASRecSpace
from nasforge.recsys.nasrec.paths import BlockPath, NASRecPath, full_path, path_from_arch

__all__ = ["NASRecNet", "NASRecSupernet", "balanced_dot_rows", "load_arch"]

# Paths whose slicing plans are kept; a search revisits few distinct paths per batch of work.
_PLAN_CACHE_SIZE = 4096

Params = Mapping[str, Tensor]
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


class _NASRecBase(CTRModel):
    """What the supernet and the child share: embeddings, sizes, and the loop over blocks."""

    dot_pairs: Tensor

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
        and a head on the last block's width; then initialise everything."""
        self.blocks = nn.ModuleList(
            new_block_params(owners(b), block_sizes(b, dense_widths, sparse_rows, self.layout)) for b in path
        )
        self.head = LogitHead(path[-1].dense_width)
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
        dense, sparse = self.normalize_inputs(dense, sparse)
        dense_sources, sparse_sources = [dense], [self.embedding(sparse)]
        for index, block in enumerate(path):
            p, ds, ss = params(index), dense_sources, sparse_sources
            if block_inputs is not None:
                p, ds, ss = block_inputs(index, block, p, ds, ss)
            d, s = block_forward(p, block, ds, ss, self.dot_pairs, self.attention_heads)
            dense_sources.append(d)
            sparse_sources.append(s)
        return dense_sources[-1]

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


class NASRecNet(_NASRecBase):
    """A standalone NASRec network: one architecture, its own parameters at their own sizes.

    Train it from scratch (``experiment=nasrec_criteo_child model.net.arch=<best_arch.json>``) or get it
    with inherited weights from :meth:`NASRecSupernet.child`.

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


class NASRecSupernet(_NASRecBase):
    """The weight-sharing supernet of a :class:`NASRecSpace`: every operator of every block, at the
    largest widths, with every earlier block as a possible input.

    ``forward(dense, sparse, path)`` runs one path (an :class:`Arch`, or a
    :class:`~nasforge.recsys.nasrec.paths.BlockPath` tuple from a sampler) at its own widths, reading
    slices of the shared weights: a narrow block costs what a narrow network costs. Without ``path``
    it runs the full path.

    Args: as :class:`NASRecNet`, without ``arch``.
    """

    #: the standalone network :meth:`child` builds (a subclass may build its own kind)
    child_class: type[NASRecNet] = NASRecNet

    def __init__(
        self,
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
        self.full_path = full_path(space)
        self.max_dense_widths, self.max_sparse_rows = self.source_sizes(self.full_path)
        every_owner = {*space.dense_ops, *space.sparse_ops, "dense_to_sparse", "sparse_to_dense"}
        self._plans: dict[NASRecPath, list[dict[str, Any]]] = {}
        self._allocate(self.full_path, self.max_dense_widths, self.max_sparse_rows, lambda b: every_owner)

    def resolve_path(self, path: NASRecPath | Arch | None) -> NASRecPath:
        """A path from an :class:`Arch` (validated against the space), a path, or ``None`` (full)."""
        if path is None:
            return self.full_path
        if isinstance(path, Arch):
            self.space.validate(path)
            return path_from_arch(path)
        if len(path) != self.space.num_blocks or not all(isinstance(b, BlockPath) for b in path):
            raise InvalidArchError(
                f"a supernet path must be {self.space.num_blocks} BlockPath objects, got {path!r:.200}"
            )
        return path

    def forward_features(
        self, dense: Tensor | None, sparse: Tensor, path: NASRecPath | Arch | None = None
    ) -> Tensor:
        path = self.resolve_path(path)
        return self._run_blocks(dense, sparse, path, self.path_params(path))

    def path_params(self, path: NASRecPath) -> Callable[[int], dict[str, Tensor]]:
        """``index -> parameters`` of each block of ``path``: slices of the shared weights."""
        plan = self._plan(path)

        def params(index: int) -> dict[str, Tensor]:
            sizes, where = plan[index]["sizes"], plan[index]["index"]
            block = self.blocks[index]
            return {name: slice_param(block[name], name, sizes, where) for name in plan[index]["names"]}

        return params

    def forward_head(self, features: Tensor) -> Tensor:
        width = features.shape[-1]
        return features @ self.head.weight[:width] + self.head.bias

    def forward(self, dense: Tensor | None, sparse: Tensor, path: NASRecPath | Arch | None = None) -> Tensor:
        return self.forward_head(self.forward_features(dense, sparse, path))

    @torch.no_grad()
    def child(self, arch: Arch) -> NASRecNet:
        """A standalone :attr:`child_class` network of ``arch`` holding copies of the supernet's weights
        on that path: its outputs equal ``self(dense, sparse, arch)``."""
        child = self.child_class(arch, **self.network_kwargs()).to(self.head.weight.device)
        plan = self._plan(child.path)
        for index, params in enumerate(child.blocks):
            sizes, where = plan[index]["sizes"], plan[index]["index"]
            for name, target in params.items():
                target.copy_(slice_param(self.blocks[index][name], name, sizes, where))
        child.embedding.weight.copy_(self.embedding.weight)
        child.head.weight.copy_(self.head.weight[: child.head.in_features])
        child.head.bias.copy_(self.head.bias)
        return child

    def _plan(self, path: NASRecPath) -> list[dict[str, Any]]:
        """Per block: axis sizes, where each index axis reads the supernet's input, parameter names."""
        plan = self._plans.get(path)
        if plan is None:
            if len(self._plans) >= _PLAN_CACHE_SIZE:
                self._plans.clear()
            plan = self._plans[path] = [self._block_plan(i, b, path) for i, b in enumerate(path)]
        return plan

    def _block_plan(self, index: int, block: BlockPath, path: NASRecPath) -> dict[str, Any]:
        dense_widths, sparse_rows = self.source_sizes(path)
        dense_offsets = list(itertools.accumulate(self.max_dense_widths[:-1], initial=0))
        row_offsets = list(itertools.accumulate(self.max_sparse_rows[:-1], initial=0))
        max_rows = max(self.space.sparse_widths)

        def dense_columns(sources: Sequence[int]) -> list[int]:
            return [c for s in sources for c in range(dense_offsets[s], dense_offsets[s] + dense_widths[s])]

        left, right = dense_columns(block.dense_left), dense_columns(block.dense_right)
        rows = []
        for s in block.sparse_in:
            start = row_offsets[s]
            if s == 0:
                rows += range(start, start + sparse_rows[0])
                continue
            rows += range(start, start + path[s - 1].sparse_width)
            if path[s - 1].dense_to_sparse:
                rows += range(start + max_rows, start + max_rows + self.layout.merge_rows)
        device = self.head.weight.device
        owners = block_owners(block)
        return {
            "sizes": block_sizes(block, dense_widths, sparse_rows, self.layout),
            "index": {
                "left": _where(left, device),
                "right": _where(right, device),
                "rows": _where(rows, device),
                "dot_in": _where([0, *(r + 1 for r in rows)], device),
            },
            "names": [name for name, (owner, _) in PARAMS.items() if owner in owners],
        }

    def _apply(self, fn: Callable[..., Any], recurse: bool = True) -> NASRecSupernet:
        self._plans.clear()  # index tensors live on the old device
        return super()._apply(fn, recurse)


def _where(indices: Sequence[int], device: torch.device) -> Tensor | slice:
    """A slice when ``indices`` are consecutive (a view, no copy), else an index tensor."""
    if indices and list(indices) == list(range(indices[0], indices[0] + len(indices))):
        return slice(indices[0], indices[0] + len(indices))
    if not indices:
        return slice(0, 0)
    return torch.tensor(indices, dtype=torch.long, device=device)

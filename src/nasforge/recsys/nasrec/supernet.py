"""The NASRec weight-sharing supernet: every operator of every block, sliced per path.

The supernet owns each parameter at the largest size any path needs and reads a path's slices (see
:mod:`~nasforge.recsys.nasrec.block_params`). :meth:`NASRecSupernet.child` copies the slices into a
:class:`~nasforge.recsys.nasrec.network.NASRecNet`, so inherited weights compute exactly what the
supernet computed on that path.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor

from nasforge.core.arch import Arch, InvalidArchError
from nasforge.recsys.nasrec.block_params import PARAMS, block_owners, block_sizes, slice_param
from nasforge.recsys.nasrec.block_path import BlockPath, NASRecPath, full_path, path_from_arch
from nasforge.recsys.nasrec.network import NASRecBase, NASRecNet
from nasforge.recsys.nasrec.space import NASRecSpace

__all__ = ["NASRecSupernet"]

# Paths whose slicing plans are kept; a search revisits few distinct paths per batch of work.
_PLAN_CACHE_SIZE = 4096


class NASRecSupernet(NASRecBase):
    """The weight-sharing supernet of a :class:`NASRecSpace`: every operator of every block, at the
    largest widths, with every earlier block as a possible input.

    ``forward(dense, sparse, path)`` runs one path (an :class:`Arch`, or a
    :class:`~nasforge.recsys.nasrec.block_path.BlockPath` tuple from a sampler) at its own widths, reading
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
        self._head_columns: dict[NASRecPath, Tensor | slice] = {}
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

    def path_blocks(self, path: Any) -> NASRecPath:
        """The blocks of a path :meth:`resolve_path` returned (a subclass's paths may carry more)."""
        return path

    def head_weight(self, path: NASRecPath | Arch | None = None) -> Tensor:
        """The head's weights over ``path``'s features (any path :meth:`resolve_path` takes): the last
        block's dense columns, then its sparse rows, read where the full path puts them (merge rows
        after the widest sparse output)."""
        path = self.path_blocks(self.resolve_path(path))
        return self.head.weight[_cached(self._head_columns, path, lambda: self._head_columns_of(path))]

    def _head_columns_of(self, path: NASRecPath) -> Tensor | slice:
        last, dim, start = path[-1], self.embedding_dim, self.max_dense_widths[-1]
        sparse_columns = [start + row * dim + e for row in self._output_rows(last, 0) for e in range(dim)]
        return _where([*range(last.dense_width), *sparse_columns], self.head.weight.device)

    def forward_head(self, features: Tensor, path: NASRecPath | Arch | None = None) -> Tensor:
        """Logits from ``path``'s features (the full path's without ``path``)."""
        return features @ self.head_weight(path) + self.head.bias

    def forward(self, dense: Tensor | None, sparse: Tensor, path: Any = None) -> Tensor:
        path = self.resolve_path(path)
        return self.forward_head(self.forward_features(dense, sparse, path), path)

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
        child.head.weight.copy_(self.head_weight(arch))
        child.head.bias.copy_(self.head.bias)
        return child

    def _plan(self, path: NASRecPath) -> list[dict[str, Any]]:
        """Per block: axis sizes, where each index axis reads the supernet's input, parameter names."""
        return _cached(self._plans, path, lambda: [self._block_plan(i, b, path) for i, b in enumerate(path)])

    def _block_plan(self, index: int, block: BlockPath, path: NASRecPath) -> dict[str, Any]:
        dense_widths, sparse_rows = self.source_sizes(path)
        dense_offsets = list(itertools.accumulate(self.max_dense_widths[:-1], initial=0))
        row_offsets = list(itertools.accumulate(self.max_sparse_rows[:-1], initial=0))

        def dense_columns(sources: Sequence[int]) -> list[int]:
            return [c for s in sources for c in range(dense_offsets[s], dense_offsets[s] + dense_widths[s])]

        left, right = dense_columns(block.dense_left), dense_columns(block.dense_right)
        rows = []
        for s in block.sparse_in:
            start = row_offsets[s]
            rows += range(start, start + sparse_rows[0]) if s == 0 else self._output_rows(path[s - 1], start)
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

    def _output_rows(self, block: BlockPath, start: int) -> list[int]:
        """The rows of ``block``'s sparse output where the full path puts them, from ``start``: its own
        rows first, its merge rows after the widest sparse output."""
        rows = list(range(start, start + block.sparse_width))
        if block.dense_to_sparse:
            merged = start + max(self.space.sparse_widths)
            rows += range(merged, merged + self.layout.merge_rows)
        return rows

    def _apply(self, fn: Callable[..., Any], recurse: bool = True) -> NASRecSupernet:
        self._plans.clear()  # index tensors live on the old device
        self._head_columns.clear()
        return super()._apply(fn, recurse)


def _cached(cache: dict[Any, Any], key: Any, compute: Callable[[], Any]) -> Any:
    """``cache[key]``, computed on a miss; a full cache starts again (a search revisits few paths)."""
    if key not in cache:
        if len(cache) >= _PLAN_CACHE_SIZE:
            cache.clear()
        cache[key] = compute()
    return cache[key]


def _where(indices: Sequence[int], device: torch.device) -> Tensor | slice:
    """A slice when ``indices`` are consecutive (a view, no copy), else an index tensor."""
    if indices and list(indices) == list(range(indices[0], indices[0] + len(indices))):
        return slice(indices[0], indices[0] + len(indices))
    if not indices:
        return slice(0, 0)
    return torch.tensor(indices, dtype=torch.long, device=device)

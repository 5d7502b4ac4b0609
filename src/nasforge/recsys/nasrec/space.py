"""The NASRec search space as data: sampling, mutation, validation and encoding of block genes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from nasforge.core.arch import Arch, check_arch, thaw
from nasforge.recsys.nasrec.block_checks import CONNECTION_KEYS, gene_problems
from nasforge.recsys.nasrec.canonical import canonical_blocks
from nasforge.recsys.nasrec.choices import BINARY_DENSE_OPS, PUBLISHED, ZERO, draw_one
from nasforge.recsys.nasrec.mutations import MUTATION_KINDS, mutate_block, sample_operators, sample_sources

__all__ = ["NASRecSpace", "describe_arch", "full_space", "published_space", "small_space"]


class NASRecSpace:
    r"""The block-wise search space of `"NASRec: Weight Sharing Neural Architecture Search for
    Recommender Systems" <https://arxiv.org/abs/2207.07187>`_ (Zhang et al., 2023).

    An architecture is ``num_blocks`` blocks; each block has the genes

    * ``dense_op``, ``sparse_op``: operator names (see :mod:`~nasforge.recsys.nasrec.choices`);
    * ``dense_width``, ``sparse_width``: output widths;
    * ``dense_left``, ``dense_right``, ``sparse_in``: sorted lists of sources, where source ``0`` is the
      raw features and source ``s`` (``1 <= s <= i``) the output of block ``s``, for the ``i+1``-th
      block. Each list holds 1 to ``max_inputs`` sources, concatenated by the block. Binary dense
      operators (sum, sigmoid gating) combine ``dense_left`` with ``dense_right``; the others (FC, dot
      product, zero) read ``dense_left`` and have ``dense_right == []``; the dot product crosses
      ``dense_left`` with the block's sparse input ``sparse_in``. A zero operator keeps its
      inputs (they are ignored), so changing the operator alone is one mutation;
    * ``dense_to_sparse``, ``sparse_to_dense``: the two merge switches.

    The head reads the last block's dense output and its sparse output (rows flattened), as NASRec's
    final layer does.

    Sampling follows the single-operator any-connection sampler: uniform operators (both drawn again
    while both are zero), widths and switches;
    each source list has ``1 + Binomial(connection_k, 0.5)`` distinct sources (capped at ``max_inputs``
    and at the sources that exist), drawn uniformly.

    The :attr:`name` is ``nasrec-<label>`` when the keywords are those of the published space of that
    label, else ``nasrec-<label>-<digest of the keywords>``, so an arch names the exact choices it was
    drawn from. Use :func:`full_space` and :func:`small_space` for the published spaces.

    Args:
        num_blocks: blocks per architecture (default: ``7``).
        dense_ops: dense operator choices (default: all of the full space).
        sparse_ops: sparse operator choices (default: all of the full space).
        dense_widths: dense width choices (default: ``(16, ..., 1024)``).
        sparse_widths: sparse width choices (default: ``(16, 32, 48, 64)``).
        max_inputs: most sources per connection list (default: ``3``).
        connection_k: trials of the binomial part of the connection count (default: ``2``).
        label: name part saying which space this is (default: ``"full"``).
    """

    #: 3: the head reads the last block's sparse output too, and a block's operators are never both
    #: zero (in version 2 the head read the dense output only; in version 1 the dot product read
    #: ``dense_right`` instead of ``sparse_in``).
    version = 3

    def __init__(
        self,
        num_blocks: int = PUBLISHED["full"]["num_blocks"],
        dense_ops: Sequence[str] = PUBLISHED["full"]["dense_ops"],
        sparse_ops: Sequence[str] = PUBLISHED["full"]["sparse_ops"],
        dense_widths: Sequence[int] = PUBLISHED["full"]["dense_widths"],
        sparse_widths: Sequence[int] = PUBLISHED["full"]["sparse_widths"],
        max_inputs: int = PUBLISHED["full"]["max_inputs"],
        connection_k: int = PUBLISHED["full"]["connection_k"],
        label: str = "full",
    ) -> None:
        self.num_blocks, self.max_inputs, self.connection_k = num_blocks, max_inputs, connection_k
        self.dense_ops, self.sparse_ops = tuple(dense_ops), tuple(sparse_ops)
        self.dense_widths, self.sparse_widths = tuple(dense_widths), tuple(sparse_widths)
        self._check_config()
        config = self.config
        digest = hashlib.sha1(json.dumps(config, sort_keys=True).encode()).hexdigest()[:8]
        published = {k: list(v) if isinstance(v, tuple) else v for k, v in PUBLISHED.get(label, {}).items()}
        self.name = f"nasrec-{label}" if config == published else f"nasrec-{label}-{digest}"

    @property
    def config(self) -> dict[str, Any]:
        """The constructor keywords but ``label``, as JSON data."""
        return {
            "num_blocks": self.num_blocks,
            "dense_ops": list(self.dense_ops),
            "sparse_ops": list(self.sparse_ops),
            "dense_widths": list(self.dense_widths),
            "sparse_widths": list(self.sparse_widths),
            "max_inputs": self.max_inputs,
            "connection_k": self.connection_k,
        }

    def __repr__(self) -> str:
        return f"NASRecSpace(name={self.name!r}, {self.config})"

    def sample(self, rng: np.random.Generator) -> Arch:
        """A random architecture (see the class docstring for the distribution)."""
        return Arch(
            self.name, self.version, {"blocks": [self._sample_block(i, rng) for i in range(self.num_blocks)]}
        )

    def mutate(self, arch: Arch, rng: np.random.Generator, num_mutations: int = 1) -> Arch:
        """Apply ``num_mutations`` (at least one) random changes of one of :data:`MUTATION_KINDS`.

        Each change picks a kind and a block uniformly among those the kind can change; the result is
        valid and always differs from ``arch`` (a change undone by a later one is followed by another).
        """
        self.validate(arch)
        blocks = thaw(arch.genes)["blocks"]
        done = 0
        while done < max(1, num_mutations) or blocks == thaw(arch.genes)["blocks"]:
            kind = MUTATION_KINDS[int(rng.integers(len(MUTATION_KINDS)))]
            index = int(rng.integers(self.num_blocks))
            done += mutate_block(self, kind, blocks, index, rng)
        return arch.with_genes({"blocks": blocks})

    def validate(self, arch: Arch) -> None:
        """Raise :class:`~nasforge.core.arch.InvalidArchError` listing every problem of ``arch``."""
        check_arch(self, arch, gene_problems(arch.genes, self.config))

    def canonical(self, arch: Arch) -> Arch:
        """``arch`` with the genes that do not reach the prediction set to fixed values: one
        architecture per computed function (see :mod:`~nasforge.recsys.nasrec.canonical`)."""
        self.validate(arch)
        blocks = canonical_blocks(
            arch.genes["blocks"], self.dense_ops, self.sparse_ops, self.dense_widths, self.sparse_widths
        )
        return arch.with_genes({"blocks": blocks})

    def encode(self, arch: Arch) -> np.ndarray:
        """A vector of :attr:`encoding_size` floats: per block, one-hot dense and sparse operators,
        width indices scaled to ``[0, 1]``, one ``num_blocks``-bit mask per connection list, switches.
        """
        self.validate(arch)
        parts = []
        for block in arch.genes["blocks"]:
            parts.append(np.eye(len(self.dense_ops))[self.dense_ops.index(block["dense_op"])])
            parts.append(np.eye(len(self.sparse_ops))[self.sparse_ops.index(block["sparse_op"])])
            for key, widths in (("dense_width", self.dense_widths), ("sparse_width", self.sparse_widths)):
                parts.append([widths.index(block[key]) / max(1, len(widths) - 1)])
            for key in CONNECTION_KEYS:
                mask = np.zeros(self.num_blocks)
                mask[list(block[key])] = 1.0
                parts.append(mask)
            parts.append([float(block["dense_to_sparse"]), float(block["sparse_to_dense"])])
        return np.concatenate(parts).astype(np.float32)

    def distance(self, a: Arch, b: Arch) -> int:
        """Genes that differ, block by block: each operator, width and switch that differs counts one,
        each source in one connection list but not the other counts one (the neighbourhoods of
        search-space shrinkage)."""
        self.validate(a)
        self.validate(b)
        steps = 0
        for left, right in zip(a.genes["blocks"], b.genes["blocks"], strict=True):
            for key in left:
                if key in CONNECTION_KEYS:
                    steps += len(set(left[key]) ^ set(right[key]))
                else:
                    steps += left[key] != right[key]
        return steps

    @property
    def encoding_size(self) -> int:
        per_block = len(self.dense_ops) + len(self.sparse_ops) + 4 + len(CONNECTION_KEYS) * self.num_blocks
        return self.num_blocks * per_block

    def sample_sources(self, index: int, rng: np.random.Generator) -> list[int]:
        """A connection list of block ``index`` (0-based): ``1 + Binomial(connection_k, 0.5)`` sources."""
        return sample_sources(index, self.max_inputs, self.connection_k, rng)

    def _sample_block(self, index: int, rng: np.random.Generator) -> dict[str, Any]:
        (dense_op,), (sparse_op,) = sample_operators(self.dense_ops, self.sparse_ops, draw_one, rng)
        return {
            "dense_op": dense_op,
            "sparse_op": sparse_op,
            "dense_width": self.dense_widths[int(rng.integers(len(self.dense_widths)))],
            "sparse_width": self.sparse_widths[int(rng.integers(len(self.sparse_widths)))],
            "dense_left": self.sample_sources(index, rng),
            "dense_right": self.sample_sources(index, rng) if dense_op in BINARY_DENSE_OPS else [],
            "sparse_in": self.sample_sources(index, rng),
            "dense_to_sparse": bool(rng.integers(2)),
            "sparse_to_dense": bool(rng.integers(2)),
        }

    def _check_config(self) -> None:
        for key in ("num_blocks", "max_inputs"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"NASRecSpace: {key} must be a positive integer, got {value!r}")
        if (
            isinstance(self.connection_k, bool)
            or not isinstance(self.connection_k, int)
            or self.connection_k < 0
        ):
            raise ValueError(
                f"NASRecSpace: connection_k must be a non-negative integer, got {self.connection_k!r}"
            )
        for key, known in (
            ("dense_ops", PUBLISHED["full"]["dense_ops"]),
            ("sparse_ops", PUBLISHED["full"]["sparse_ops"]),
        ):
            ops = getattr(self, key)
            unknown = [op for op in ops if op not in known]
            if not ops or unknown or len(set(ops)) != len(ops):
                raise ValueError(
                    f"NASRecSpace: {key}={list(ops)} must be distinct, non-empty choices from {list(known)}"
                )
        if self.dense_ops == (ZERO,) and self.sparse_ops == (ZERO,):
            raise ValueError(
                "NASRecSpace: dense_ops and sparse_ops are both ['zero'], so no block computes anything"
            )
        for key in ("dense_widths", "sparse_widths"):
            widths = getattr(self, key)
            bad = not widths or len(set(widths)) != len(widths)
            if bad or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in widths):
                raise ValueError(f"NASRecSpace: {key}={list(widths)} must be distinct positive integers")


def published_space(label: str = "full", **overrides: Any) -> NASRecSpace:
    """The published space ``label`` (``"full"`` or ``"small"``) with ``overrides`` of its keywords."""
    if label not in PUBLISHED:
        raise ValueError(f"published_space: unknown label {label!r}; choose one of {sorted(PUBLISHED)}")
    return NASRecSpace(**{**PUBLISHED[label], **overrides, "label": label})


def full_space(**overrides: Any) -> NASRecSpace:
    """The published full space (all operators), with ``overrides`` of its constructor keywords."""
    return published_space("full", **overrides)


def small_space(**overrides: Any) -> NASRecSpace:
    """The published small space (FC, dot product, EFC and zero), with ``overrides``."""
    return published_space("small", **overrides)


def describe_arch(arch: Arch) -> str:
    """One line per block, for logs: ``block 2: dense fc/64 <- [raw, b1] | sparse efc/16 <- [raw] | d2s``."""

    def sources(items: Sequence[int]) -> str:
        return "[" + ", ".join("raw" if s == 0 else f"b{s}" for s in items) + "]"

    lines = [f"{arch.space} v{arch.version} ({arch.hash})"]
    for i, b in enumerate(arch.genes["blocks"]):
        dense = f"{b['dense_op']}/{b['dense_width']} <- {sources(b['dense_left'])}"
        if b["dense_right"]:
            dense += f" x {sources(b['dense_right'])}"
        switches = [name for name, key in (("d2s", "dense_to_sparse"), ("s2d", "sparse_to_dense")) if b[key]]
        sparse = f"{b['sparse_op']}/{b['sparse_width']} <- {sources(b['sparse_in'])}"
        lines.append(
            f"block {i + 1}: dense {dense} | sparse {sparse} | merges {'+'.join(switches) or 'none'}"
        )
    return "\n".join(lines)

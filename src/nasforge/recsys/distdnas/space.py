"""The DistDNAS search space as data: which interaction modules each block keeps, and what it reads.

An architecture is ``num_blocks`` blocks, each with the genes

* ``modules``: the kept interaction modules (names of :mod:`~nasforge.recsys.distdnas.modules`), at
  least one, in the space's order;
* ``inputs``: the sources the block sums, sorted, at least one: source ``0`` is the raw features,
  source ``s`` (``1 <= s <= i``) the output of block ``s`` for the ``i+1``-th block (dense
  connectivity).

The network reads its prediction off the last block. The differentiable supernet holds every module
and every connection with a gate; derivation (:func:`~nasforge.recsys.distdnas.derive.derive_arch`)
turns gates into such genes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from nasforge.core.arch import Arch, check_arch, genes_list, thaw
from nasforge.recsys.distdnas.modules import MODULES, OPTIONAL_MODULES

__all__ = ["DistDNASSpace"]


class DistDNASSpace:
    """Blocks of gated interaction modules with dense connectivity (DistDNAS, arXiv:2311.00231).

    The name is ``distdnas-<label>`` for the default module list, else ``distdnas-<label>-<digest>``,
    so an architecture names the exact choices it was searched among.

    Args:
        num_blocks: blocks per architecture (default: ``4``).
        modules: the candidate modules of every block (default: all of
            :data:`~nasforge.recsys.distdnas.modules.MODULES`; any of
            :data:`~nasforge.recsys.distdnas.modules.OPTIONAL_MODULES` may be added).
        label: name part saying which space this is (default: ``"default"``).
    """

    version = 1

    def __init__(self, num_blocks: int = 4, modules: Sequence[str] = MODULES, label: str = "default") -> None:
        if num_blocks < 1:
            raise ValueError(f"DistDNASSpace: num_blocks must be at least 1, got {num_blocks}")
        known = (*MODULES, *OPTIONAL_MODULES)
        unknown = [m for m in modules if m not in known]
        if unknown or not modules or len(set(modules)) != len(modules):
            raise ValueError(
                f"DistDNASSpace: modules must be distinct names from {list(known)}, got {list(modules)}"
            )
        self.num_blocks, self.modules = num_blocks, tuple(modules)
        digest = hashlib.sha1(json.dumps(list(self.modules)).encode()).hexdigest()[:8]
        suffix = "" if self.modules == MODULES else f"-{digest}"
        self.name = f"distdnas-{label}-b{num_blocks}{suffix}"

    @property
    def config(self) -> dict[str, Any]:
        return {"num_blocks": self.num_blocks, "modules": list(self.modules)}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, modules={list(self.modules)})"

    def arch(self, blocks: Sequence[tuple[Sequence[str], Sequence[int]]]) -> Arch:
        """The architecture of ``(modules, inputs)`` per block, checked against the space."""
        genes = {
            "blocks": [
                {"modules": [m for m in self.modules if m in set(kept)], "inputs": sorted(set(inputs))}
                for kept, inputs in blocks
            ]
        }
        arch = Arch(self.name, self.version, genes)
        self.validate(arch)
        return arch

    def blocks(self, arch: Arch) -> list[tuple[tuple[str, ...], tuple[int, ...]]]:
        """``(modules, inputs)`` of each block of a valid ``arch``."""
        self.validate(arch)
        return [(tuple(b["modules"]), tuple(b["inputs"])) for b in thaw(arch.genes)["blocks"]]

    def sample(self, rng: np.random.Generator) -> Arch:
        """Each module and each connection kept with probability 1/2 (at least one of each per block)."""
        blocks = []
        for i in range(self.num_blocks):
            modules = [m for m in self.modules if rng.random() < 0.5] or [str(rng.choice(self.modules))]
            inputs = [s for s in range(i + 1) if rng.random() < 0.5] or [int(rng.integers(i + 1))]
            blocks.append((modules, inputs))
        return self.arch(blocks)

    def mutate(self, arch: Arch, rng: np.random.Generator, num_mutations: int = 1) -> Arch:
        """Flip ``num_mutations`` module or connection bits, never leaving a block without either."""
        bits = self.encode(arch).astype(bool)
        for _ in range(num_mutations):
            while True:
                flipped = bits.copy()
                flipped[rng.integers(len(bits))] ^= True
                if self._decodable(flipped):
                    bits = flipped
                    break
        return self._decode(bits)

    def validate(self, arch: Arch) -> None:
        """Raise :class:`~nasforge.core.arch.InvalidArchError` listing every problem of ``arch``."""
        check_arch(self, arch, self._problems(arch.genes))

    def encode(self, arch: Arch) -> np.ndarray:
        """Module bits of every block, then each block's connection bits to sources ``0..i``."""
        blocks = [(set(b["modules"]), set(b["inputs"])) for b in thaw(arch.genes)["blocks"]]
        module_bits = [m in kept for kept, _ in blocks for m in self.modules]
        input_bits = [s in inputs for i, (_, inputs) in enumerate(blocks) for s in range(i + 1)]
        return np.asarray(module_bits + input_bits, dtype=np.float32)

    def _decodable(self, bits: np.ndarray) -> bool:
        modules, inputs = self._split(bits)
        return all(m.any() for m in modules) and all(i.any() for i in inputs)

    def _split(self, bits: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        m = len(self.modules)
        modules = [bits[i * m : (i + 1) * m] for i in range(self.num_blocks)]
        start = self.num_blocks * m
        inputs = []
        for i in range(self.num_blocks):
            inputs.append(bits[start : start + i + 1])
            start += i + 1
        return modules, inputs

    def _decode(self, bits: np.ndarray) -> Arch:
        modules, inputs = self._split(bits)
        return self.arch(
            [
                ([n for n, keep in zip(self.modules, mb, strict=True) if keep], np.flatnonzero(ib).tolist())
                for mb, ib in zip(modules, inputs, strict=True)
            ]
        )

    def _problems(self, genes: Any) -> Iterator[str]:
        blocks, problems = genes_list(genes, "blocks")
        yield from problems
        if blocks is None:
            return
        if len(blocks) != self.num_blocks:
            yield f"{len(blocks)} blocks, the space has {self.num_blocks}"
        for i, block in enumerate(blocks):
            where = f"block {i}"
            if not isinstance(block, Mapping):
                yield f"{where}: expected an object with 'modules' and 'inputs', got {type(block).__name__}"
                continue
            if set(block) != {"modules", "inputs"}:
                yield f"{where}: keys must be 'modules' and 'inputs', got {sorted(block)}"
                continue
            yield from self._module_problems(where, block["modules"])
            yield from self._input_problems(where, i, block["inputs"])

    def _module_problems(self, where: str, modules: Any) -> Iterator[str]:
        if not isinstance(modules, tuple) or not modules:
            yield f"{where}: modules must be a non-empty list, got {thaw(modules)!r}"
            return
        unknown = [m for m in modules if m not in self.modules]
        if unknown:
            yield f"{where}: modules {unknown} are not in the space {list(self.modules)}"
        elif list(modules) != [m for m in self.modules if m in modules]:
            yield f"{where}: modules must be distinct and in the space's order {list(self.modules)}"

    def _input_problems(self, where: str, index: int, inputs: Any) -> Iterator[str]:
        if not isinstance(inputs, tuple) or not inputs:
            yield f"{where}: inputs must be a non-empty list, got {thaw(inputs)!r}"
            return
        if any(not isinstance(s, int) or isinstance(s, bool) or not 0 <= s <= index for s in inputs):
            yield f"{where}: inputs must be sources 0..{index} (0 = raw features), got {list(inputs)}"
        elif list(inputs) != sorted(set(inputs)):
            yield f"{where}: inputs must be sorted and distinct, got {list(inputs)}"

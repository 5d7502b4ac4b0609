"""Quantisation-aware NASRec networks: the PIM supernet, its children and the path sampler.

Each block runs at its own precision: the weight matrices it multiplies by (every ``*_weight`` of the
block table but the LayerNorm scales) are fake-quantised per output channel at the block's
``weight_bits``, the inputs it reads (the outputs of its source blocks, the raw features) per sample at
its ``activation_bits`` (:func:`~nasforge.core.quantization.fake_quantize`, straight-through
gradients). Biases and normalisation stay in floating point, as the digital unit keeps them. The
supernet quantises the slices a path reads, the child its own copies of them, with one function, so
``supernet.child(arch)`` still computes exactly what the supernet computes on that path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from torch import Tensor

from nasforge.core.arch import Arch, InvalidArchError
from nasforge.core.quantization import fake_quantize
from nasforge.core.sampling import PathSampler
from nasforge.recsys.nasrec.networks import BlockInputs, NASRecNet, NASRecSupernet, Params
from nasforge.recsys.nasrec.paths import SAMPLERS, BlockPath, NASRecPath, full_path, path_from_arch
from nasforge.recsys.pim.pim_space import PIMSpace

__all__ = ["PIMNet", "PIMPath", "PIMSupernet", "pim_path_sampler", "precision_of", "quantized_inputs"]

#: ``(weight_bits, activation_bits)`` of one block; ``None`` is floating point
Precision = tuple[int | None, int | None]
#: every block in floating point: the full-path warm-up
FLOAT = (None, None)


@dataclass(frozen=True)
class PIMPath:
    """A supernet path (:class:`~nasforge.recsys.nasrec.paths.BlockPath` per block) and the precision
    each block runs at."""

    blocks: NASRecPath
    precision: tuple[Precision, ...]


def precision_of(arch: Arch) -> tuple[Precision, ...]:
    """``(weight_bits, activation_bits)`` of every block of a :class:`PIMSpace` architecture."""
    return tuple((b["pim"]["weight_bits"], b["pim"]["activation_bits"]) for b in arch.genes["blocks"])


def _is_weight_matrix(name: str) -> bool:
    return name.endswith("_weight") and not name.endswith("norm_weight")


def quantized_inputs(precision: Sequence[Precision]) -> BlockInputs:
    """The hook that makes each block read fake-quantised weights and inputs at its precision.

    A source read by several blocks at the same bits is quantised once per forward pass (the hook
    lives for one pass, and a source never changes once its block has run).
    """
    cache: dict[tuple[str, int, int | None], Tensor] = {}

    def read(kind: str, sources: Sequence[Tensor], used: set[int], bits: int | None) -> list[Tensor]:
        for s in used:
            if (kind, s, bits) not in cache:
                cache[kind, s, bits] = fake_quantize(sources[s], bits, axis=0)
        return [cache[kind, s, bits] if s in used else x for s, x in enumerate(sources)]

    def inputs(
        index: int, block: BlockPath, params: Params, dense: Sequence[Tensor], sparse: Sequence[Tensor]
    ) -> tuple[Params, Sequence[Tensor], Sequence[Tensor]]:
        weight_bits, activation_bits = precision[index]
        params = {
            name: fake_quantize(t, weight_bits, axis=0) if _is_weight_matrix(name) else t
            for name, t in params.items()
        }
        dense = read("dense", dense, {*block.dense_left, *block.dense_right}, activation_bits)
        return params, dense, read("sparse", sparse, set(block.sparse_in), activation_bits)

    return inputs


class PIMNet(NASRecNet):
    """A standalone NASRec network of a :class:`PIMSpace` architecture, each block fake-quantised at the
    bits of its ``pim`` gene. Arguments as :class:`~nasforge.recsys.nasrec.NASRecNet`; ``space`` is the
    :class:`PIMSpace`."""

    @property
    def precision(self) -> tuple[Precision, ...]:
        return precision_of(self.arch)

    def forward_features(self, dense: Tensor | None, sparse: Tensor) -> Tensor:
        inputs = quantized_inputs(self.precision)
        return self._run_blocks(dense, sparse, self.path, lambda index: self.blocks[index], inputs)

    def extra_repr(self) -> str:
        bits = ", ".join(f"w{w}a{a}" for w, a in self.precision)
        return f"{super().extra_repr()}, precision=[{bits}]"


class PIMSupernet(NASRecSupernet):
    """The quantisation-aware supernet of a :class:`PIMSpace`: a NASRec supernet whose paths carry a
    precision per block (:class:`PIMPath`, or an architecture of the space). Without a path it runs
    the full path in floating point. Arguments as
    :class:`~nasforge.recsys.nasrec.NASRecSupernet`."""

    child_class = PIMNet

    def resolve_path(self, path: PIMPath | Arch | None) -> PIMPath:  # type: ignore[override]
        """A :class:`PIMPath` from an architecture (validated), a :class:`PIMPath` or ``None`` (full)."""
        if path is None:
            return PIMPath(self.full_path, (FLOAT,) * self.space.num_blocks)
        if isinstance(path, Arch):
            self.space.validate(path)
            return PIMPath(path_from_arch(path), precision_of(path))
        if not isinstance(path, PIMPath) or len(path.precision) != self.space.num_blocks:
            raise InvalidArchError(
                f"a PIM supernet path must be a PIMPath with {self.space.num_blocks} blocks and as many "
                f"(weight_bits, activation_bits) pairs, or an Arch of {self.space.name}; got {path!r:.200}"
            )
        return PIMPath(super().resolve_path(path.blocks), path.precision)

    def forward_features(  # type: ignore[override]
        self, dense: Tensor | None, sparse: Tensor, path: PIMPath | Arch | None = None
    ) -> Tensor:
        path = self.resolve_path(path)
        params = self.path_params(path.blocks)
        return self._run_blocks(dense, sparse, path.blocks, params, quantized_inputs(path.precision))


def pim_path_sampler(
    space: PIMSpace, kind: str = "single_operator_any_connection", warmup_steps: int = 0, seed: int = 0
) -> PathSampler[PIMPath]:
    """A :class:`~nasforge.core.sampling.PathSampler` of :class:`PIMPath` objects: blocks drawn by the
    NASRec sampler ``kind`` (a key of :data:`~nasforge.recsys.nasrec.SAMPLERS`, or ``"full_path"``),
    each block's bits uniformly from the space's choices. The warm-up trains the full path in floating
    point, as NASRec's does: it gives every weight a start at half the cost of quantising them all."""
    if kind not in (*SAMPLERS, "full_path"):
        raise ValueError(f"pim_path_sampler: unknown kind {kind!r}; choose one of {[*SAMPLERS, 'full_path']}")

    def full() -> PIMPath:
        return PIMPath(full_path(space.base), (FLOAT,) * space.num_blocks)

    def sample(rng: np.random.Generator) -> PIMPath:
        blocks = full_path(space.base) if kind == "full_path" else SAMPLERS[kind](space.base, rng)
        settings = [space.sample_settings(rng) for _ in range(space.num_blocks)]
        return PIMPath(blocks, tuple((s["weight_bits"], s["activation_bits"]) for s in settings))

    return PathSampler(sample, full, warmup_steps, seed)

"""Quantisation-aware NASRec networks: each block at its own precision, and the PIM child network.

Each block runs at its own precision: the weight matrices it multiplies by (every ``*_weight`` of the
block table but the LayerNorm scales) are fake-quantised per output channel at the block's
``weight_bits``, the inputs it reads (the outputs of its source blocks, the raw features) per sample at
its ``activation_bits`` (:func:`~nasforge.core.training.quantization.fake_quantize`, straight-through
gradients). Biases and normalisation stay in floating point, as the digital unit keeps them. The
supernet (:mod:`~nasforge.recsys.pim.supernet`) quantises the slices a path reads, the child its own
copies of them, with one function, so ``supernet.child(arch)`` still computes exactly what the
supernet computes on that path.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor

from nasforge.core.arch import Arch
from nasforge.core.training.quantization import fake_quantize
from nasforge.recsys.nasrec.block import Params
from nasforge.recsys.nasrec.block_path import BlockPath
from nasforge.recsys.nasrec.network import BlockInputs, NASRecNet

__all__ = ["PIMNet", "Precision", "precision_of", "quantized_inputs"]

#: ``(weight_bits, activation_bits)`` of one block; ``None`` is floating point
Precision = tuple[int | None, int | None]


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

"""The quantisation-aware PIM supernet: NASRec's supernet whose paths carry a precision per block."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

from nasforge.core.arch import Arch, InvalidArchError
from nasforge.recsys.nasrec.block_path import NASRecPath, path_from_arch
from nasforge.recsys.nasrec.supernet import NASRecSupernet
from nasforge.recsys.pim.network import PIMNet, Precision, precision_of, quantized_inputs

__all__ = ["FLOAT", "PIMPath", "PIMSupernet"]

#: every block in floating point: the full-path warm-up
FLOAT: Precision = (None, None)


@dataclass(frozen=True)
class PIMPath:
    """A supernet path (:class:`~nasforge.recsys.nasrec.BlockPath` per block) and the precision each
    block runs at."""

    blocks: NASRecPath
    precision: tuple[Precision, ...]


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

    def path_blocks(self, path: PIMPath) -> NASRecPath:  # type: ignore[override]
        return path.blocks

    def forward_features(  # type: ignore[override]
        self, dense: Tensor | None, sparse: Tensor, path: PIMPath | Arch | None = None
    ) -> Tensor:
        path = self.resolve_path(path)
        params = self.path_params(path.blocks)
        return self._run_blocks(dense, sparse, path.blocks, params, quantized_inputs(path.precision))

"""The cells and networks DCSOD architectures describe: CSCO's frame with nodes that pick operators."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from torch import nn

from nasforge.core.arch import Arch
from nasforge.vision.csco.cell import CSCOCell
from nasforge.vision.csco.network import CSCONet
from nasforge.vision.dcsod.ops import build_node
from nasforge.vision.dcsod.space import DCSODSpace

__all__ = ["DCSODCell", "DCSODNet"]


class DCSODCell(CSCOCell):
    r"""A DCSOD cell: :class:`~nasforge.vision.csco.CSCOCell`'s frame (expand, nodes, concatenated
    leaves, project, residual) whose node ``k`` applies ``ops[k]``
    (:func:`~nasforge.vision.dcsod.ops.build_node`); the cell has ``len(ops)`` nodes.

    :meth:`load_relabelled` is CSCO's: it accepts a relabelling that maps every node to one with the
    same operator, and reorders the merge convs' input blocks.

    Args:
        channels_in, channels_out, stride, edges, expansion, norm_layer, act_layer: as
            :class:`~nasforge.vision.csco.CSCOCell`.
        ops: each node's operator, names from :data:`~nasforge.vision.dcsod.ops.OPS`.

    Shapes:
        - input: ``[B, channels_in, H, W]``
        - output: ``[B, channels_out, ceil(H / stride), ceil(W / stride)]``
    """

    node_type = staticmethod(build_node)

    def __init__(
        self,
        channels_in: int,
        channels_out: int,
        stride: int,
        edges: Sequence[Sequence[int]],
        ops: Sequence[str],
        expansion: int = 1,
        norm_layer: Callable[[int], nn.Module] = nn.BatchNorm2d,
        act_layer: Callable[[], nn.Module] = nn.ReLU6,
    ) -> None:
        super().__init__(
            channels_in, channels_out, stride, edges, len(ops), expansion, norm_layer, act_layer, ops=ops
        )

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, ops={self.ops}"


class DCSODNet(CSCONet):
    r"""A DCSOD network (`arXiv:2406.01975 <https://arxiv.org/abs/2406.01975>`_): :class:`CSCONet`'s
    stem, stages and head (timm's surface: ``forward_features``, ``forward_head``,
    ``reset_classifier``) with :class:`DCSODCell`\ s, stage ``s``'s cells built from the arch's stage
    ``s`` edges and operators. Its logits are what an OOD score (MSP, energy, max logit) reads.

    :meth:`load_relabelled` copies the weights of a network whose arch is an isomorphic variant
    (:meth:`DCSODSpace.isomorphic_variants`), so both compute the same.

    Args:
        arch: an arch of ``space``, or the path of its JSON file (``best_arch.json``).
        space: the :class:`~nasforge.vision.dcsod.DCSODSpace` that interprets ``arch``.
        num_classes: classifier outputs; 0 gives no classifier (default: 10).
        in_chans: input channels (default: 3).
        drop_rate: dropout before the classifier (default: 0.0).

    Shapes:
        - input: ``[B, in_chans, H, W]``
        - output: ``[B, num_classes]``
    """

    def __init__(
        self,
        arch: Arch | str | Path,
        space: DCSODSpace,
        num_classes: int = 10,
        in_chans: int = 3,
        drop_rate: float = 0.0,
    ) -> None:
        if not isinstance(space, DCSODSpace):
            raise TypeError(f"DCSODNet: space must be a DCSODSpace, got {type(space).__name__}")
        super().__init__(arch, space, num_classes, in_chans, drop_rate)

    def make_cell(
        self,
        genes: Mapping[str, Any],
        space: Any,
        channels_in: int,
        channels_out: int,
        stride: int,
        expansion: int,
    ) -> DCSODCell:
        """One cell of a stage: its edges and operators are ``genes``."""
        return DCSODCell(channels_in, channels_out, stride, genes["edges"], genes["ops"], expansion)

"""A CSCO cell: a DAG of convolutional nodes with fixed operations and searched wiring."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

from nasforge.vision.csco.wiring import edge_problems, leaves, node_op, predecessors, relabel_edges

__all__ = ["DEPTHWISE_KERNELS", "CSCOCell", "CSCONode"]

#: depthwise operation -> kernel size; the other operation, ``conv1x1``, is a dense pointwise conv.
DEPTHWISE_KERNELS = {"dw3x3": 3, "dw5x5": 5, "dw7x7": 7}


class CSCONode(nn.Module):
    r"""One node: its operation on the channel concatenation of its ``num_inputs`` inputs, each
    ``width`` channels wide, then norm and activation; the output is ``width`` channels wide.

    A depthwise node first merges several inputs with a 1x1 conv to ``width`` channels (a depthwise
    conv cannot mix them); a ``conv1x1`` node reads the concatenation directly.

    Shapes:
        - input: ``[B, num_inputs * width, H, W]``
        - output: ``[B, width, H / stride, W / stride]``
    """

    def __init__(
        self,
        op: str,
        num_inputs: int,
        width: int,
        stride: int = 1,
        norm_layer: Callable[[int], nn.Module] = nn.BatchNorm2d,
        act_layer: Callable[[], nn.Module] = nn.ReLU6,
    ) -> None:
        super().__init__()
        if op != "conv1x1" and op not in DEPTHWISE_KERNELS:
            raise ValueError(f"CSCONode: unknown op {op!r}; choose one of {[*DEPTHWISE_KERNELS, 'conv1x1']}")
        self.op, self.num_inputs, self.width, self.stride = op, num_inputs, width, stride
        in_width = num_inputs * width
        self.merge: nn.Conv2d | None = None
        if op == "conv1x1":
            self.conv = nn.Conv2d(in_width, width, 1, stride=stride, bias=False)
        else:
            if num_inputs > 1:
                self.merge = nn.Conv2d(in_width, width, 1, bias=False)
            kernel = DEPTHWISE_KERNELS[op]
            self.conv = nn.Conv2d(width, width, kernel, stride, padding=kernel // 2, groups=width, bias=False)
        self.bn = norm_layer(width)
        self.act = act_layer()

    @property
    def input_conv(self) -> nn.Conv2d:
        """The conv that reads the concatenated inputs: its input channels are one block per input."""
        return self.merge if self.merge is not None else self.conv

    def forward(self, x: Tensor) -> Tensor:
        if self.merge is not None:
            x = self.merge(x)
        return self.act(self.bn(self.conv(x)))

    def extra_repr(self) -> str:
        return f"op={self.op!r}, num_inputs={self.num_inputs}, width={self.width}, stride={self.stride}"


class CSCOCell(nn.Module):
    r"""A cell of the CSCO space: MobileNetV2's inverted residual block with its single depthwise conv
    replaced by a DAG of ``num_nodes`` nodes wired by ``edges``.

    ``x -> expand (1x1 conv, norm, act; left out when expansion is 1) -> nodes -> project -> (+ x)``.
    Node ``k`` applies ``ops[k]`` (by default :func:`~nasforge.vision.csco.wiring.node_op` ``(k)``) to
    the concatenation, in ascending node order, of its predecessors' outputs; a node without
    predecessors reads the expanded input and takes the cell's stride. Every node is
    ``channels_in * expansion`` wide. The leaves (nodes without successors), concatenated in ascending
    order, are projected by a 1x1 conv and norm without activation (MobileNetV2's linear bottleneck)
    and added to the input when stride and channels leave its shape unchanged; otherwise there is no
    shortcut, as in MobileNetV2.

    Args:
        channels_in: input channels.
        channels_out: output channels.
        stride: 1 or 2, applied by the source nodes.
        edges: ``[i, j]`` pairs with ``i < j``, sorted, without repeats.
        num_nodes: nodes in the cell (default: ``13``).
        expansion: node width over ``channels_in`` (default: ``1``).
        norm_layer: norm after each conv (default: ``nn.BatchNorm2d``).
        act_layer: activation after the expansion and each node (default: ``nn.ReLU6``).
        ops: each node's operation, for cells whose nodes choose theirs (default: CSCO's, fixed by
            index); :attr:`node_type` builds the nodes.

    Shapes:
        - input: ``[B, channels_in, H, W]``
        - output: ``[B, channels_out, H / stride, W / stride]``
    """

    #: builds node ``k`` as ``node_type(ops[k], num_inputs, width, stride, norm_layer, act_layer)``; a cell
    #: with another operator set replaces it
    node_type: Callable[..., nn.Module] = CSCONode

    def __init__(
        self,
        channels_in: int,
        channels_out: int,
        stride: int,
        edges: Sequence[Sequence[int]],
        num_nodes: int = 13,
        expansion: int = 1,
        norm_layer: Callable[[int], nn.Module] = nn.BatchNorm2d,
        act_layer: Callable[[], nn.Module] = nn.ReLU6,
        ops: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if stride not in (1, 2) or min(channels_in, channels_out, expansion, num_nodes) < 1:
            raise ValueError(
                f"{name}: need stride 1 or 2 and positive channels, expansion and num_nodes; got "
                f"stride={stride}, channels {channels_in}->{channels_out}, expansion={expansion}, "
                f"num_nodes={num_nodes}"
            )
        problems = list(edge_problems(edges, num_nodes))
        if problems:
            raise ValueError(f"{name}: invalid edges: " + "; ".join(problems))
        self.ops = [node_op(k) for k in range(num_nodes)] if ops is None else list(ops)
        if len(self.ops) != num_nodes:
            raise ValueError(f"{name}: ops={self.ops} has {len(self.ops)} operations for {num_nodes} nodes")
        self.channels_in, self.channels_out, self.stride = channels_in, channels_out, stride
        self.num_nodes, self.expansion = num_nodes, expansion
        self.edges = [[int(i), int(j)] for i, j in edges]
        self.preds, self.leaves = predecessors(self.edges, num_nodes), leaves(self.edges, num_nodes)
        self.width = width = channels_in * expansion
        self.expand: nn.Module = nn.Identity()
        if expansion != 1:
            self.expand = nn.Sequential(
                nn.Conv2d(channels_in, width, 1, bias=False), norm_layer(width), act_layer()
            )
        self.nodes = nn.ModuleList(
            self.node_type(op, max(1, len(preds)), width, 1 if preds else stride, norm_layer, act_layer)
            for op, preds in zip(self.ops, self.preds, strict=True)
        )
        self.project = nn.Sequential(
            nn.Conv2d(len(self.leaves) * width, channels_out, 1, bias=False), norm_layer(channels_out)
        )
        self.residual = stride == 1 and channels_in == channels_out

    def forward(self, x: Tensor) -> Tensor:
        cell_input = self.expand(x)
        outputs: list[Tensor] = []
        for node, preds in zip(self.nodes, self.preds, strict=True):
            outputs.append(node(_concat([outputs[p] for p in preds]) if preds else cell_input))
        out = self.project(_concat([outputs[k] for k in self.leaves]))
        return out + x if self.residual else out

    @torch.no_grad()
    def load_relabelled(self, source: CSCOCell, perm: Sequence[int]) -> None:
        """Copy ``source``'s weights into this cell, whose wiring is ``source``'s with node ``k`` renamed
        ``perm[k]``: node ``perm[k]`` gets node ``k``'s weights, and convs that read a concatenation get
        their input-channel blocks reordered to the new node order, so both cells compute the same.

        Raises :class:`ValueError` when the cells are not such relabellings of each other.
        """
        perm = [int(k) for k in perm]
        same_frame = self._frame == source._frame
        is_perm = sorted(perm) == list(range(self.num_nodes))
        if not (
            same_frame and is_perm and all(self.ops[perm[k]] == source.ops[k] for k in range(self.num_nodes))
        ):
            raise ValueError(
                f"{type(self).__name__}.load_relabelled: perm={perm} must be a permutation of the "
                f"{self.num_nodes} nodes that keeps each node's operation, between cells of equal shape"
            )
        if self.edges != relabel_edges(source.edges, perm):
            raise ValueError(
                f"{type(self).__name__}.load_relabelled: edges {self.edges} are not the source's "
                f"{source.edges} relabelled by perm={perm}"
            )
        self.expand.load_state_dict(source.expand.state_dict())
        self.project.load_state_dict(source.project.state_dict())
        _reorder_blocks(self.project[0].weight, source.leaves, self.leaves, perm)
        for k, node in enumerate(source.nodes):
            target = self.nodes[perm[k]]
            target.load_state_dict(node.state_dict())
            if len(source.preds[k]) > 1:  # a node with one input may have no conv reading it
                _reorder_blocks(target.input_conv.weight, source.preds[k], self.preds[perm[k]], perm)

    @property
    def _frame(self) -> tuple[int, ...]:
        """Everything but the wiring that fixes the cell's weight shapes."""
        return (self.channels_in, self.channels_out, self.stride, self.expansion, self.num_nodes)

    def extra_repr(self) -> str:
        return (
            f"{self.channels_in}->{self.channels_out}, stride={self.stride}, expansion={self.expansion}, "
            f"num_nodes={self.num_nodes}, edges={len(self.edges)}, leaves={self.leaves}"
        )


def _concat(tensors: list[Tensor]) -> Tensor:
    return tensors[0] if len(tensors) == 1 else torch.cat(tensors, dim=1)


def _reorder_blocks(
    weight: Tensor, source_order: list[int], target_order: list[int], perm: list[int]
) -> None:
    """Reorder, in place, the input-channel blocks of ``weight`` (copied from the source) from the
    source's input nodes ``source_order`` to the target's ``target_order`` under ``perm``."""
    if len(source_order) < 2:
        return
    blocks = dict(zip((perm[k] for k in source_order), weight.chunk(len(source_order), dim=1), strict=True))
    weight.copy_(torch.cat([blocks[k] for k in target_order], dim=1))

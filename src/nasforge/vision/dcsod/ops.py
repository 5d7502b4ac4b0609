"""The operator set of DCSOD nodes and the node modules that apply them.

The paper lets every node pick its operator from a versatile set of convolutions but does not list
it; :data:`OPS` is this project's choice: CSCO's node operations, so that the space extends CSCO's
wiring space with operator genes, then DARTS-style convolutions (full, separable, dilated), two
poolings and identity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import Tensor, nn

from nasforge.vision.csco.cell import CSCONode
from nasforge.vision.csco.wiring import NODE_OPS

__all__ = ["DCSOD_OPS", "OPS", "DCSODNode", "build_node"]

#: The operators :class:`DCSODNode` applies (this project's choice; the paper's list is not public).
DCSOD_OPS = ("conv3x3", "conv5x5", "sep3x3", "sep5x5", "dil3x3", "maxpool3x3", "avgpool3x3", "identity")
#: The operators a node may pick: CSCO's node operations (built as CSCO builds them, so a CSCO
#: architecture is one of this space's), then :data:`DCSOD_OPS`.
OPS = (*NODE_OPS, *DCSOD_OPS)

#: full convolutions: op -> kernel size
_FULL = {"conv3x3": 3, "conv5x5": 5}
#: depthwise then pointwise convolutions: op -> (kernel size, dilation)
_SEPARABLE = {"sep3x3": (3, 1), "sep5x5": (5, 1), "dil3x3": (3, 2)}


def build_node(op: str, *args: Any, **kwargs: Any) -> nn.Module:
    """The node applying ``op``: a :class:`~nasforge.vision.csco.CSCONode` for CSCO's operations, so
    that they compute exactly what a CSCO cell's nodes do; a :class:`DCSODNode` for the others. The
    other arguments (``num_inputs, width, stride, norm_layer, act_layer``) are the two classes' own."""
    node_type = CSCONode if op in NODE_OPS else DCSODNode
    return node_type(op, *args, **kwargs)


class DCSODNode(nn.Module):
    r"""One node of a DCSOD cell: merge its inputs, then apply its operator ``op`` (one of
    :data:`DCSOD_OPS`; :func:`build_node` builds CSCO's).

    Several inputs (``num_inputs`` blocks of ``width`` channels, concatenated) are merged by a 1x1 conv
    and norm to ``width`` channels, so that every operator, depthwise and pooling ones included, sees
    one ``width``-channel tensor; a single input is used as it is. The operators:

    - ``conv3x3``, ``conv5x5``: full conv, norm, act;
    - ``sep3x3``, ``sep5x5``: depthwise ``k x k`` conv and pointwise 1x1 conv, norm, act;
    - ``dil3x3``: depthwise 3x3 conv with dilation 2 and pointwise 1x1 conv, norm, act;
    - ``maxpool3x3``, ``avgpool3x3``: 3x3 pooling, padding 1 (the average counts only real pixels);
      no parameters beyond the merge;
    - ``identity``: nothing at stride 1; at stride 2 a strided 1x1 conv and norm, since a
      parameter-free identity cannot downsample (this project's choice).

    Every operator keeps ``width`` channels and applies ``stride`` (padding keeps ``ceil(H / stride)``).

    Shapes:
        - input: ``[B, num_inputs * width, H, W]``
        - output: ``[B, width, ceil(H / stride), ceil(W / stride)]``
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
        name = type(self).__name__
        if op not in DCSOD_OPS:
            raise ValueError(
                f"{name}: unknown op {op!r}; choose one of {list(DCSOD_OPS)} (CSCO's {list(NODE_OPS)} are "
                "built by build_node)"
            )
        if num_inputs < 1 or width < 1 or stride not in (1, 2):
            raise ValueError(
                f"{name}: need num_inputs >= 1, width >= 1 and stride 1 or 2; got num_inputs={num_inputs}, "
                f"width={width}, stride={stride}"
            )
        self.op, self.num_inputs, self.width, self.stride = op, num_inputs, width, stride
        self.merge: nn.Module | None = None
        if num_inputs > 1:
            self.merge = nn.Sequential(nn.Conv2d(num_inputs * width, width, 1, bias=False), norm_layer(width))
        self.body = _operator(op, width, stride, norm_layer, act_layer)

    @property
    def input_conv(self) -> nn.Conv2d | None:
        """The conv that reads the concatenated inputs (one input-channel block per input), or ``None``
        for a node with one input, which has no merge."""
        return None if self.merge is None else self.merge[0]

    def forward(self, x: Tensor) -> Tensor:
        if self.merge is not None:
            x = self.merge(x)
        return self.body(x)

    def extra_repr(self) -> str:
        return f"op={self.op!r}, num_inputs={self.num_inputs}, width={self.width}, stride={self.stride}"


def _operator(
    op: str,
    width: int,
    stride: int,
    norm_layer: Callable[[int], nn.Module],
    act_layer: Callable[[], nn.Module],
) -> nn.Module:
    """The module of ``op`` on ``width`` channels (see :class:`DCSODNode`)."""
    if op in _FULL:
        kernel = _FULL[op]
        conv = nn.Conv2d(width, width, kernel, stride, padding=kernel // 2, bias=False)
        return nn.Sequential(conv, norm_layer(width), act_layer())
    if op in _SEPARABLE:
        kernel, dilation = _SEPARABLE[op]
        depthwise = nn.Conv2d(
            width, width, kernel, stride, padding=dilation * (kernel // 2), dilation=dilation, groups=width,
            bias=False,
        )  # fmt: skip
        pointwise = nn.Conv2d(width, width, 1, bias=False)
        return nn.Sequential(depthwise, pointwise, norm_layer(width), act_layer())
    if op == "maxpool3x3":
        return nn.MaxPool2d(3, stride, padding=1)
    if op == "avgpool3x3":
        return nn.AvgPool2d(3, stride, padding=1, count_include_pad=False)
    if stride == 1:  # identity
        return nn.Identity()
    return nn.Sequential(nn.Conv2d(width, width, 1, stride, bias=False), norm_layer(width))

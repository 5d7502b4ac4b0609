"""The PNNH coder: a small encoder/decoder that carries part of the input across a non-linearity."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["Coder"]


class Coder(nn.Module):
    r"""``decode(ReLU(encode(x)))``: the internal path of a PNNH block (Zhang et al., "Peeking Behind
    the Curtains of Residual Learning", arXiv:2402.08645).

    The encoder maps ``in_chs`` channels to ``2 * code_chs`` (a 1x1 convolution on images, a linear
    map on tokens), a ReLU follows, and the decoder maps back to ``code_chs``. It is initialised as the
    exact carrier of the first ``code_chs`` input channels through the ReLU:

    .. math::
        E = \begin{bmatrix} P \\ -P \end{bmatrix},\quad D = [I, -I],\quad
        D\,\mathrm{ReLU}(E x) = \mathrm{ReLU}(Px) - \mathrm{ReLU}(-Px) = Px,

    where ``P`` selects those channels. Both matrices are trained, so the path can learn what to
    carry; it never bypasses the non-linearity. One instance is meant to be *shared* by every
    same-shaped block of a stage (or of a whole ViT): one parameter set, hence few parameters.

    Args:
        in_chs: input channels (images) or token width (tokens).
        code_chs: channels it outputs (the carried part of the block output).
        stride: spatial stride on images, by average pooling first (default: 1).

    Shapes:
        - input: ``[B, in_chs, H, W]`` or ``[B, N, in_chs]``
        - output: ``[B, code_chs, H / stride, W / stride]`` or ``[B, N, code_chs]``
    """

    def __init__(self, in_chs: int, code_chs: int, stride: int = 1) -> None:
        super().__init__()
        if in_chs < 1 or code_chs < 1 or stride < 1:
            raise ValueError(f"Coder: need in_chs, code_chs, stride >= 1, got {in_chs}, {code_chs}, {stride}")
        self.in_chs, self.code_chs, self.stride = int(in_chs), int(code_chs), int(stride)
        self.encoder = nn.Parameter(torch.empty(2 * code_chs, in_chs))
        self.decoder = nn.Parameter(torch.empty(code_chs, 2 * code_chs))
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """The carrier initialisation above; with fewer input than code channels, the extra code
        channels start at zero."""
        carried = torch.eye(self.code_chs, self.in_chs)
        self.encoder.copy_(torch.cat([carried, -carried]))
        eye = torch.eye(self.code_chs)
        self.decoder.copy_(torch.cat([eye, -eye], dim=1))

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() == 4:
            if self.stride > 1:
                x = F.avg_pool2d(x, self.stride, ceil_mode=True, count_include_pad=False)
            code = F.relu(F.conv2d(x, self.encoder[:, :, None, None]))
            return F.conv2d(code, self.decoder[:, :, None, None])
        if x.dim() == 3:
            return F.linear(F.relu(F.linear(x, self.encoder)), self.decoder)
        raise ValueError(
            f"Coder: expected images [B, {self.in_chs}, H, W] or tokens [B, N, {self.in_chs}], "
            f"got {tuple(x.shape)}"
        )

    def extra_repr(self) -> str:
        return f"in_chs={self.in_chs}, code_chs={self.code_chs}, stride={self.stride}"

"""The PNNH block: a learner and a (shared) coder side by side, joined by concatenation, never added."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from nasforge.vision.pnnh.coder import Coder

__all__ = ["PNNHBlock"]


class PNNHBlock(nn.Module):
    r"""``cat(norm(coder(x)), learner(x))`` along the channel axis (arXiv:2402.08645's dual-path block).

    The learner is an ordinary plain block (a shortcut-free :class:`~nasforge.vision.models.BasicBlock`
    or :class:`~nasforge.vision.models.Bottleneck`, or a residual-free transformer block) that outputs
    all but ``coder.code_chs`` of the block's channels; the coder fills the rest with what it carries
    of the input through its own ReLU. Nothing is added: the next block reads both parts through its
    convolutions or projections, as any plain layer reads its input channels.

    Args:
        coder: the internal path; the same instance may serve several blocks.
        learner: the plain block.
        norm: this block's own normalisation of the coder's output, e.g. ``nn.BatchNorm2d(code_chs)``
            (default: None). A coder shared by ``n`` blocks multiplies its gain ``n`` times; a norm
            per block keeps the carried channels at the learner's scale, as the learner's last norm
            does for its own.
        dim: the channel axis: 1 for images ``[B, C, H, W]``, -1 for tokens ``[B, N, C]`` (default: 1).

    Shapes:
        - input: ``[B, C_in, H, W]`` or ``[B, N, C_in]``
        - output: channels ``coder.code_chs + learner channels``, the learner's spatial size
    """

    def __init__(self, coder: Coder, learner: nn.Module, norm: nn.Module | None = None, dim: int = 1) -> None:
        super().__init__()
        self.coder, self.learner, self.dim = coder, learner, int(dim)
        self.norm = norm if norm is not None else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([self.norm(self.coder(x)), self.learner(x)], dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"

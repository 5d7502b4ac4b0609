"""Training augmentation and normalisation of whole image batches on the device they live on."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["BatchAugment"]


class BatchAugment(nn.Module):
    r"""Random crop with zero padding, horizontal flip and cutout for a whole batch, then normalisation.

    Everything is a handful of tensor operations on the batch's device (one gather for crop and flip
    together), so a GPU never waits for per-image CPU work. In ``eval()`` mode only the normalisation
    runs. uint8 inputs are scaled to ``[0, 1]`` first; cutout (DeVries & Taylor, "Improved
    Regularization of Convolutional Neural Networks with Cutout", arXiv:1708.04552) zeroes a square of
    the *normalised* image centred anywhere in it (so it may be clipped at the border), as in the
    reference implementation.

    Args:
        padding: pixels of zero padding for the random crop; 0 switches cropping off (default: 4).
        flip: flip each image horizontally with probability 1/2 (default: True).
        cutout: side of the cutout square; 0 switches it off (default: 0).
        mean: per-channel mean of ``[0, 1]`` pixels (default: CIFAR-10's).
        std: per-channel standard deviation (default: CIFAR-10's).
        channels_last: return channels-last tensors, the fast layout for convolutions on GPUs
            (default: False).

    Shapes:
        - input: ``[B, C, H, W]``, uint8 or float
        - output: float32 ``[B, C, H, W]``
    """

    def __init__(
        self,
        padding: int = 4,
        flip: bool = True,
        cutout: int = 0,
        mean: Sequence[float] = (0.4914, 0.4822, 0.4465),
        std: Sequence[float] = (0.2470, 0.2435, 0.2616),
        channels_last: bool = False,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if padding < 0 or cutout < 0:
            raise ValueError(f"{name}: padding and cutout must be >= 0, got {padding} and {cutout}")
        if len(mean) != len(std) or min(std) <= 0:
            raise ValueError(f"{name}: mean {list(mean)} and std {list(std)} need equal lengths and std > 0")
        self.padding, self.flip, self.cutout = int(padding), bool(flip), int(cutout)
        self.channels_last = bool(channels_last)
        self.register_buffer("mean", torch.tensor(list(mean), dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(list(std), dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, images: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Augment (in training mode) and normalise; ``generator`` makes the draws reproducible."""
        if images.dim() != 4 or images.shape[1] != self.mean.shape[1]:
            raise ValueError(
                f"{type(self).__name__}: expected [B, {self.mean.shape[1]}, H, W] images, "
                f"got {tuple(images.shape)}"
            )
        if self.training and (self.padding or self.flip):
            images = self.crop_and_flip(images, generator)
        x = images.float()
        if images.dtype == torch.uint8:
            x = x / 255.0
        x = (x - self.mean) / self.std
        if self.training and self.cutout:
            x = x * self.cutout_mask(x, generator)
        return x.contiguous(
            memory_format=torch.channels_last if self.channels_last else torch.contiguous_format
        )

    def crop_and_flip(self, images: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Random ``H x W`` window of the zero-padded image, mirrored for a random half of the batch."""
        b, _, h, w = images.shape
        p, device = self.padding, images.device
        padded = F.pad(images, (p, p, p, p)) if p else images
        top = torch.randint(0, 2 * p + 1, (b, 1), device=device, generator=generator)
        left = torch.randint(0, 2 * p + 1, (b, 1), device=device, generator=generator)
        rows = top + torch.arange(h, device=device)  # [B, H]
        cols = left + torch.arange(w, device=device)  # [B, W]
        if self.flip:
            mirror = torch.rand(b, 1, device=device, generator=generator) < 0.5
            cols = torch.where(mirror, cols.flip(1), cols)
        batch = torch.arange(b, device=device).view(b, 1, 1)
        # advanced indexing around the channel slice yields [B, H, W, C]: a channels-last view
        return padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)

    def cutout_mask(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """``[B, 1, H, W]``: 1 but in one ``cutout``-sided square per image (clipped at the border)."""
        b, _, h, w = x.shape
        device = x.device
        cy = torch.randint(0, h, (b, 1, 1), device=device, generator=generator)
        cx = torch.randint(0, w, (b, 1, 1), device=device, generator=generator)
        lo = self.cutout // 2
        ys = torch.arange(h, device=device).view(1, h, 1)
        xs = torch.arange(w, device=device).view(1, 1, w)
        inside = (
            (ys >= cy - lo) & (ys < cy - lo + self.cutout) & (xs >= cx - lo) & (xs < cx - lo + self.cutout)
        )
        return (~inside).unsqueeze(1).to(x.dtype)

    def extra_repr(self) -> str:
        return (
            f"padding={self.padding}, flip={self.flip}, cutout={self.cutout}, "
            f"channels_last={self.channels_last}"
        )

"""A dataset over images held as one uint8 tensor, fetching a whole batch with one indexing call."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.utils.data import Dataset

__all__ = ["TensorImageDataset", "collate_batch"]


def collate_batch(batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The identity: :meth:`TensorImageDataset.__getitems__` already returns a stacked batch."""
    return batch


class TensorImageDataset(Dataset):
    """Images ``uint8 [N, C, H, W]`` and labels ``int64 [N]`` in memory (CIFAR: 150 MB for 50,000).

    ``DataLoader`` calls :meth:`__getitems__` with the indices of a whole batch (from any sampler,
    so Lightning can still swap in a ``DistributedSampler``); one gather returns the batch, without a
    Python loop over images. Pass ``collate_fn=collate_batch``.

    Args:
        images: uint8 ``[N, C, H, W]``.
        labels: int64 ``[N]``.
        ood: int64 ``[N]``, the OOD set of each image (0: in distribution), for evaluation splits that
            mix ID images and OOD sets (default: None: no ``"ood"`` entry).

    Shapes:
        - batch: ``{"image": uint8 [B, C, H, W], "label": int64 [B]}`` (and ``"ood": int64 [B]``)
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, ood: torch.Tensor | None = None) -> None:
        if images.dim() != 4 or images.dtype != torch.uint8:
            raise ValueError(
                "TensorImageDataset: images must be uint8 [N, C, H, W], "
                f"got {images.dtype} {tuple(images.shape)}"
            )
        if labels.shape != (len(images),):
            raise ValueError(f"TensorImageDataset: {len(images)} images but labels {tuple(labels.shape)}")
        if ood is not None and ood.shape != labels.shape:
            raise ValueError(f"TensorImageDataset: {len(images)} images but ood {tuple(ood.shape)}")
        self.images = images
        self.labels = labels.long()
        self.ood = None if ood is None else ood.long()

    def __len__(self) -> int:
        return len(self.labels)

    def __getitems__(self, indices: Sequence[int]) -> dict[str, torch.Tensor]:
        return self._select(torch.as_tensor(indices, dtype=torch.long))

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return self._select(index)

    def _select(self, index: int | torch.Tensor) -> dict[str, torch.Tensor]:
        item = {"image": self.images[index], "label": self.labels[index]}
        if self.ood is not None:
            item["ood"] = self.ood[index]
        return item

    def __repr__(self) -> str:
        return f"{type(self).__name__}(images={len(self)}, shape={tuple(self.images.shape[1:])})"

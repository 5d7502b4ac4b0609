"""ImageNet-style folders (``<split>/<class>/*.JPEG``): a scan of the files and a Pillow-decoding dataset.

Files are decoded in DataLoader workers, so the main process only moves finished uint8 batches; the
random crop of training happens there too, the flips and normalisation later on the device
(:class:`~nasforge.vision.data.BatchAugment`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

from nasforge.vision.data.errors import ImageDataError

__all__ = ["IMAGE_EXTENSIONS", "ImageFolderDataset", "scan_image_folder"]

IMAGE_EXTENSIONS = (".jpeg", ".jpg", ".png")


def scan_image_folder(
    root: str | Path, classes: Sequence[str] | None = None, max_per_class: int | None = None
) -> tuple[list[Path], np.ndarray, list[str]]:
    """List ``root/<class>/<image>`` in sorted order.

    Args:
        root: the split folder (``train/`` or ``val/``).
        classes: the expected class folders, e.g. the training split's (default: None = every
            sub-folder of ``root``, sorted).
        max_per_class: keep the first this many files (by name) of each class (default: None = all).

    Returns:
        ``(files, labels int64 [N], classes)``.

    Raises:
        ImageDataError: ``root`` has no class folder, a class folder has no image, or the class folders
            differ from ``classes``.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such folder (expected <split>/<class>/*.JPEG)")
    found = sorted(p.name for p in root.iterdir() if p.is_dir())
    if not found:
        raise ImageDataError(root, "has no class folders; expected <split>/<class>/*.JPEG")
    if classes is None:
        classes = found
    elif sorted(classes) != found:
        missing, extra = sorted(set(classes) - set(found)), sorted(set(found) - set(classes))
        raise ImageDataError(
            root, f"class folders differ from the training split: missing {missing}, extra {extra}"
        )
    if max_per_class is not None and max_per_class < 1:
        raise ValueError(f"scan_image_folder: max_per_class must be >= 1 or None, got {max_per_class}")
    files: list[Path] = []
    labels: list[int] = []
    for index, name in enumerate(classes):
        folder = root / name
        images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
        if not images:
            raise ImageDataError(folder, f"empty class folder: no {'/'.join(IMAGE_EXTENSIONS)} files")
        images = images[:max_per_class]
        files.extend(images)
        labels.extend([index] * len(images))
    return files, np.asarray(labels, dtype=np.int64), list(classes)


class ImageFolderDataset(Dataset):
    """Decode, resize and crop image files to uint8 ``[3, image_size, image_size]``.

    The shorter side is resized to ``round(image_size / crop_fraction)`` (256 for 224, the usual
    ImageNet evaluation), then a square of ``image_size`` is cut: at a random place when
    ``random_crop`` (training), in the centre otherwise.

    Args:
        files: image paths.
        labels: class index per file.
        image_size: side of the output square (default: 224).
        crop_fraction: share of the resized shorter side kept by the crop (default: 0.875).
        random_crop: crop at a random place instead of the centre (default: False).

    Shapes:
        - item: ``{"image": uint8 [3, image_size, image_size], "label": int64 []}``
    """

    def __init__(
        self,
        files: Sequence[Path],
        labels: np.ndarray | Sequence[int],
        image_size: int = 224,
        crop_fraction: float = 0.875,
        random_crop: bool = False,
    ) -> None:
        if len(files) != len(labels):
            raise ValueError(f"ImageFolderDataset: {len(files)} files but {len(labels)} labels")
        if image_size < 1 or not 0.0 < crop_fraction <= 1.0:
            raise ValueError(
                f"ImageFolderDataset: need image_size >= 1 and 0 < crop_fraction <= 1, got {image_size}, "
                f"{crop_fraction}"
            )
        self.files = [Path(f) for f in files]
        self.labels = torch.as_tensor(np.asarray(labels), dtype=torch.int64)
        self.image_size = int(image_size)
        self.resize = max(self.image_size, round(self.image_size / crop_fraction))
        self.random_crop = bool(random_crop)

    def __len__(self) -> int:
        return len(self.files)

    def _decode(self, path: Path) -> Image.Image:
        try:
            with Image.open(path) as img:
                img.draft("RGB", (self.resize, self.resize))  # JPEG: decode at a reduced scale, faster
                img = img.convert("RGB")
        except (UnidentifiedImageError, OSError, ValueError) as error:
            raise ImageDataError(path, f"unreadable image ({type(error).__name__}: {error})") from error
        width, height = img.size
        scale = self.resize / min(width, height)
        size = (max(self.resize, round(width * scale)), max(self.resize, round(height * scale)))
        return img.resize(size, Image.BILINEAR)

    def _crop_box(self, width: int, height: int) -> tuple[int, int, int, int]:
        side = self.image_size
        if self.random_crop:  # torch's RNG is seeded per DataLoader worker
            left = int(torch.randint(0, width - side + 1, ()))
            top = int(torch.randint(0, height - side + 1, ()))
        else:
            left, top = (width - side) // 2, (height - side) // 2
        return left, top, left + side, top + side

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        img = self._decode(self.files[index])
        img = img.crop(self._crop_box(*img.size))
        image = torch.from_numpy(np.asarray(img, dtype=np.uint8).copy()).permute(2, 0, 1)
        return {"image": image, "label": self.labels[index]}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(images={len(self)}, image_size={self.image_size}, resize={self.resize}, "
            f"random_crop={self.random_crop})"
        )

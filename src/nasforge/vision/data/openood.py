"""OpenOOD v1.5 image lists: the reader of ``benchmark_imglist`` files and a Pillow-decoding dataset.

OpenOOD ships its out-of-distribution (OOD) benchmarks as plain-text lists,
``<root>/benchmark_imglist/<id_dataset>/<split>_<set>.txt`` (``test_cifar100.txt``, ``val_tin.txt``, ...),
next to the images in ``<root>/images_classic/``. As its ``openood/datasets/imglist_dataset.py`` reads
them, each line is ``<image path> <label>``: the path relative to ``images_classic/`` (an absolute path is
refused), one space, then the label. Every line of an OOD list carries the label ``-1`` (OpenOOD issue
#283; its evaluator also sets the OOD ground truth to -1), the lists of the ID data set its class index.
OpenOOD also accepts a Python dict literal in place of the label; the benchmark lists do not use it and
neither does this reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

from nasforge.vision.data.errors import ImageDataError

__all__ = [
    "IMAGE_FOLDER",
    "LIST_FOLDER",
    "OOD_LABEL",
    "ImageListDataset",
    "find_openood_lists",
    "read_imglist",
]

#: the folder under the OpenOOD root that holds the lists, one sub-folder per ID data set
LIST_FOLDER = "benchmark_imglist"
#: the folder under the OpenOOD root that the image paths of the lists are relative to
IMAGE_FOLDER = "images_classic"
#: the label on every line of an OOD list
OOD_LABEL = -1

_LAYOUT = (
    f"<root>/{LIST_FOLDER}/<id_dataset>/<split>_<set>.txt with lines '<image path> <label>', "
    f"the paths relative to <root>/{IMAGE_FOLDER}/"
)


def read_imglist(list_path: str | Path, image_root: str | Path) -> tuple[list[Path], np.ndarray]:
    """Read an OpenOOD list, checking every line and that every listed image exists, so a broken
    download fails here, naming the line, rather than in a DataLoader worker mid-evaluation.

    Args:
        list_path: the ``<split>_<set>.txt`` file.
        image_root: the folder the listed paths are relative to (``<root>/images_classic``).

    Returns:
        ``(files, labels int64 [N])`` in file order.

    Raises:
        FileNotFoundError: ``list_path`` does not exist.
        ImageDataError: a line without exactly two fields, an absolute image path, a label that is not an
            integer, no line at all, or listed images that do not exist.
    """
    list_path, image_root = Path(list_path), Path(image_root)
    if not list_path.is_file():
        raise FileNotFoundError(f"{list_path}: no such image list (expected {_LAYOUT})")
    lines = list_path.read_text(encoding="utf-8").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise ImageDataError(list_path, "empty image list: no '<image path> <label>' lines")
    files: list[Path] = []
    labels: list[int] = []
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if len(fields) != 2:
            raise ImageDataError(
                list_path,
                f"line {number}: expected 2 fields '<image path> <label>', got {len(fields)}: {line!r}",
            )
        relative, label = fields
        if Path(relative).is_absolute():
            raise ImageDataError(
                list_path, f"line {number}: image path field {relative!r} must be relative to {image_root}"
            )
        try:
            labels.append(int(label))
        except ValueError:
            raise ImageDataError(
                list_path, f"line {number}: label field {label!r} is not an integer"
            ) from None
        files.append(image_root / relative)
    missing = [(number, path) for number, path in enumerate(files, start=1) if not path.is_file()]
    if missing:
        number, first = missing[0]
        raise ImageDataError(
            list_path,
            f"{len(missing)} of {len(files)} listed images do not exist, first {first} (line {number})",
        )
    return files, np.asarray(labels, dtype=np.int64)


def find_openood_lists(root: str | Path, id_dataset: str) -> dict[str, dict[str, Path]]:
    """The OOD lists OpenOOD has for ``id_dataset``, by split then set, so a run evaluates whatever sets
    the user downloaded; the ID data set's own lists (``<split>_<id_dataset>.txt``) are left out.

    Args:
        root: the OpenOOD data folder (holding ``benchmark_imglist/`` and ``images_classic/``).
        id_dataset: the in-distribution data set, e.g. ``"cifar10"``.

    Returns:
        ``{split: {set: list path}}``, e.g. ``{"test": {"cifar100": ..., "tin": ...}, "val": {"tin": ...}}``,
        both levels sorted by name.

    Raises:
        FileNotFoundError: ``<root>/benchmark_imglist/<id_dataset>`` does not exist.
    """
    folder = Path(root) / LIST_FOLDER / id_dataset
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder (expected {_LAYOUT})")
    lists: dict[str, dict[str, Path]] = {}
    for path in sorted(folder.glob("*.txt")):
        split, _, name = path.stem.partition("_")
        if name and name != id_dataset:
            lists.setdefault(split, {})[name] = path
    return lists


class ImageListDataset(Dataset):
    """Decode listed images to uint8 ``[3, size, size]``, flagged in or out of distribution.

    Any Pillow mode (grayscale MNIST, palette PNGs) becomes RGB, and any other size is resized
    (bilinear) to ``size`` x ``size``, as OpenOOD's evaluation transform does, so ID and OOD images meet
    the network in one shape.

    Args:
        files: image paths.
        labels: label per file (``-1`` for OOD lists).
        size: side of the output square (default: 32).
        ood: 1 when every image is out of distribution, 0 when in (default: 0).

    Shapes:
        - item: ``{"image": uint8 [3, size, size], "label": int64 [], "ood": int64 []}``
    """

    def __init__(
        self, files: Sequence[Path], labels: np.ndarray | Sequence[int], size: int = 32, ood: int = 0
    ) -> None:
        if len(files) != len(labels):
            raise ValueError(f"ImageListDataset: {len(files)} files but {len(labels)} labels")
        if size < 1:
            raise ValueError(f"ImageListDataset: size must be >= 1, got {size}")
        if ood not in (0, 1):
            raise ValueError(f"ImageListDataset: ood must be 0 or 1, got {ood!r}")
        self.files = [Path(f) for f in files]
        self.labels = torch.as_tensor(np.asarray(labels), dtype=torch.int64)
        self.size = int(size)
        self.ood = torch.tensor(int(ood), dtype=torch.int64)

    def __len__(self) -> int:
        return len(self.files)

    def _decode(self, path: Path) -> Image.Image:
        try:
            with Image.open(path) as img:
                img = img.convert("RGB")
        except (UnidentifiedImageError, OSError, ValueError) as error:
            raise ImageDataError(path, f"unreadable image ({type(error).__name__}: {error})") from error
        if img.size != (self.size, self.size):
            img = img.resize((self.size, self.size), Image.BILINEAR)
        return img

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        pixels = np.asarray(self._decode(self.files[index]), dtype=np.uint8)
        image = torch.from_numpy(pixels.copy()).permute(2, 0, 1)
        return {"image": image, "label": self.labels[index], "ood": self.ood}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(images={len(self)}, size={self.size}, ood={int(self.ood)})"

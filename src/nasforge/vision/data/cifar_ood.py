"""``CIFAROODDataModule``: CIFAR in distribution, and OOD sets mixed into its validation and test splits.

An OOD set is named, and each name is looked up in this order:

1. ``held_out``: the ID dataset's own classes left out by ``id_classes`` (an open-set split, e.g.
   CIFAR-6 against 4): their training images for validation, their test images for test;
2. an OpenOOD v1.5 list ``benchmark_imglist/<dataset>/<split>_<name>.txt`` under ``openood_root``;
3. the other CIFAR (``cifar100`` for CIFAR-10 and the reverse) from its python-pickle files: its test
   set for test, a seeded subset of its training set for validation (never the same images).

``auto`` picks: ``held_out`` with ``id_classes``; the generated near and far sets on a generated
sample (written in OpenOOD's layout beside it); every list of ``openood_root``; else the other CIFAR.
OOD images enter validation only when ``ood_val`` names sets, and never training.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from nasforge.vision.data.cifar import CIFAR_LAYOUTS, ImageArrays, read_cifar
from nasforge.vision.data.cifar_datamodule import CIFARDataModule
from nasforge.vision.data.generate.ood import OOD_SETS_VERSION, near_kind, write_ood_sets
from nasforge.vision.data.openood import ImageListDataset, find_openood_lists, read_imglist
from nasforge.vision.data.tensor_dataset import TensorImageDataset

__all__ = ["OPENOOD_NEAR", "CIFAROODDataModule"]

#: OpenOOD v1.5's near-OOD sets per ID dataset (the others it lists are far-OOD)
OPENOOD_NEAR = {"cifar10": ("cifar100", "tin"), "cifar100": ("cifar10", "tin")}
HELD_OUT = "held_out"
#: the generated sets (:func:`~nasforge.vision.data.generate.ood.write_ood_sets`)
GENERATED_NEAR, GENERATED_FAR = "near", "far"


class CIFAROODDataModule(CIFARDataModule):
    """CIFAR-10 or CIFAR-100 in distribution; validation and test batches carry ``"ood"`` (0 = ID,
    ``k`` = the ``k``-th OOD set of the split), as :class:`~nasforge.tasks.OODTask` reads them.

    Args:
        ood_test: the test split's OOD sets, or ``auto`` (see the module docstring) (default: ``auto``).
        ood_val: the validation split's OOD sets, ``auto`` (the near ones of ``ood_test``), or ``[]``
            for ID-only validation (default: ``[]``).
        id_classes: keep these classes (indices or names) in distribution and turn the others into
            the ``held_out`` set; labels are renumbered in the given order (default: None = all).
        openood_root: a folder holding OpenOOD's ``benchmark_imglist/`` and ``images_classic/``
            (default: None).
        other_cifar_path: the other CIFAR's folder (default: ``data/<cifar-10-batches-py |
            cifar-100-python>`` beside the ID data).
        val_ood_images: images per OOD validation set drawn from a training split (default: 1000).
        synthetic_ood_per_set: test images per generated OOD set (a half as many for validation)
            (default: 200).
        synthetic_near: the generated near set's kind, ``siblings`` or ``new_classes``
            (:func:`~nasforge.vision.data.generate.write_ood_sets`) (default: None, by the sample's
            difficulty).
        synthetic_near_classes: new classes a ``new_classes`` near set draws from (default: 100).
        **kwargs: the keywords of :class:`CIFARDataModule`.
    """

    def __init__(
        self,
        ood_test: Sequence[str] | str = "auto",
        ood_val: Sequence[str] | str = (),
        id_classes: Sequence[int | str] | None = None,
        openood_root: str | None = None,
        other_cifar_path: str | None = None,
        val_ood_images: int = 1000,
        synthetic_ood_per_set: int = 200,
        synthetic_near: str | None = None,
        synthetic_near_classes: int = 100,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        for key, value in (
            ("val_ood_images", val_ood_images),
            ("synthetic_ood_per_set", synthetic_ood_per_set),
            ("synthetic_near_classes", synthetic_near_classes),
        ):
            if value < 1:
                raise ValueError(f"CIFAROODDataModule: {key} must be >= 1, got {value}")
        if id_classes is not None and len(id_classes) < 2:
            raise ValueError(f"CIFAROODDataModule: id_classes must keep at least 2 classes, got {id_classes}")
        self.ood_test_request, self.ood_val_request = _names(ood_test), _names(ood_val)
        self.id_classes = None if id_classes is None else list(id_classes)
        self.openood_root = openood_root
        self.other_cifar = next(name for name in CIFAR_LAYOUTS if name != self.dataset)
        self.other_cifar_path = other_cifar_path
        self.val_ood_images, self.synthetic_ood_per_set = int(val_ood_images), int(synthetic_ood_per_set)
        self.synthetic_near, self.synthetic_near_classes = synthetic_near, int(synthetic_near_classes)
        self.test_sets: list[str] = []
        self.val_sets: list[str] = []
        self.near_sets: list[str] = []
        self._held_out: tuple[ImageArrays, ImageArrays] | None = None

    # -- the open-set split --------------------------------------------------------------------------
    def read(self, path: str) -> tuple[ImageArrays, ImageArrays, list[str]]:
        train, test, classes = super().read(path)
        if self.id_classes is None:
            return train, test, classes
        kept = [_class_index(c, classes) for c in self.id_classes]
        if len(set(kept)) != len(kept) or len(kept) == len(classes):
            raise ValueError(
                f"CIFAROODDataModule: id_classes must be distinct and leave some of the {len(classes)} "
                f"classes out, got {self.id_classes}"
            )
        relabel = torch.full((len(classes),), -1, dtype=torch.long)
        relabel[kept] = torch.arange(len(kept))
        names = [classes[i] for i in kept]
        self._held_out = (_subset(train, relabel, False, names), _subset(test, relabel, False, names))
        return _subset(train, relabel, True, names), _subset(test, relabel, True, names), names

    # -- the OOD sets --------------------------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        """The CIFAR splits, then the OOD sets appended to validation and test (once)."""
        fresh = self.data_train is None
        super().setup(stage)
        if not fresh:
            return
        self._choose_sets()
        seen = _image_keys(self.data_train.images)
        self.data_val = self._with_ood(self.data_val, self.val_sets, "val", seen)
        self.data_test = self._with_ood(self.data_test, self.test_sets, "test", seen)

    def _choose_sets(self) -> None:
        generated = self._resolve_source().generated
        if generated and self.openood_root is None and self.id_classes is None:
            self.openood_root = str(self._generated_ood_root())
        if self.ood_test_request != ["auto"]:
            self.test_sets = list(self.ood_test_request)
        elif self.id_classes is not None:
            self.test_sets = [HELD_OUT]
        elif generated:
            self.test_sets = [GENERATED_NEAR, GENERATED_FAR]
        elif self.openood_root is not None:
            self.test_sets = sorted(find_openood_lists(self.openood_root, self.dataset).get("test", {}))
        else:
            self.test_sets = [self.other_cifar]
        known_near = {HELD_OUT, GENERATED_NEAR, *OPENOOD_NEAR[self.dataset]}
        self.near_sets = [name for name in self.test_sets if name in known_near] or list(self.test_sets)
        self.val_sets = list(self.near_sets if self.ood_val_request == ["auto"] else self.ood_val_request)

    def _generated_ood_root(self) -> Path:
        name, _, _ = self.sample()
        near = near_kind(self.synthetic_near, self.synthetic_difficulty)
        if near == "new_classes":
            near += str(self.synthetic_near_classes)
        sets = f"ood{self.synthetic_ood_per_set}-{near}-v{OOD_SETS_VERSION}"
        root = Path(self.synthetic_dir) / f"{name}-{sets}"
        if not (root / "benchmark_imglist").is_dir():
            write_ood_sets(
                root,
                id_dataset=self.dataset,
                per_set=self.synthetic_ood_per_set,
                val_per_set=max(1, self.synthetic_ood_per_set // 2),
                seed=self.seed,
                difficulty=self.synthetic_difficulty,
                near=self.synthetic_near,
                near_classes=self.synthetic_near_classes,
            )
        return root

    def _with_ood(self, id_data: Any, sets: list[str], split: str, seen: set[bytes]) -> TensorImageDataset:
        """``id_data`` with the OOD sets appended; refuses a set that holds training images."""
        images, labels = [id_data.images], [id_data.labels]
        ood = [torch.zeros(len(id_data), dtype=torch.long)]
        for index, name in enumerate(sets, start=1):
            if name == self.dataset:
                raise ValueError(
                    f"CIFAROODDataModule: {name} is the in-distribution dataset; it cannot be an OOD set"
                )
            set_images = self._load_set(name, split)
            overlap = sum(key in seen for key in _image_keys(set_images, unique=False))
            if overlap:
                raise ValueError(
                    f"CIFAROODDataModule: the {split} OOD set {name!r} holds {overlap} of the training "
                    "images; OOD images must come from classes the model never trains on"
                )
            if self.max_samples is not None:
                set_images = set_images[: self.max_samples]
            images.append(set_images)
            labels.append(torch.full((len(set_images),), -1, dtype=torch.long))
            ood.append(torch.full((len(set_images),), index, dtype=torch.long))
        # a seeded shuffle: every batch mixes ID and OOD images, so a partial evaluation
        # (fast_dev_run, limit_test_batches) still measures detection
        order = torch.randperm(sum(map(len, labels)), generator=torch.Generator().manual_seed(self.seed))
        return TensorImageDataset(torch.cat(images)[order], torch.cat(labels)[order], torch.cat(ood)[order])

    def _load_set(self, name: str, split: str) -> torch.Tensor:
        """uint8 ``[N, 3, 32, 32]`` images of OOD set ``name`` for ``split`` (see the module docstring)."""
        if name == HELD_OUT:
            if self._held_out is None:
                raise ValueError("CIFAROODDataModule: the 'held_out' OOD set needs data.id_classes")
            train, test = self._held_out
            return self._draw(train.images) if split == "val" else test.images
        lists = find_openood_lists(self.openood_root, self.dataset) if self.openood_root else {}
        if name in lists.get(split, {}):
            root = Path(self.openood_root) / "images_classic"
            files, labels = read_imglist(lists[split][name], root)
            dataset = ImageListDataset(files, labels, size=32)
            return torch.stack([dataset[i]["image"] for i in range(len(dataset))])
        if name == self.other_cifar:
            other = read_cifar(self._other_cifar_path(), name, "train" if split == "val" else "test")
            return self._draw(other.images) if split == "val" else other.images
        where = (
            f"no {split}_{name}.txt list under {self.openood_root}"
            if self.openood_root
            else "no openood_root"
        )
        raise FileNotFoundError(
            f"CIFAROODDataModule: unknown OOD set {name!r} for {split}: {where}, and it is neither "
            f"'{HELD_OUT}' (with id_classes) nor '{self.other_cifar}'"
        )

    def _other_cifar_path(self) -> str:
        if self.other_cifar_path is not None:
            return self.other_cifar_path
        return str(Path(self._resolve_source().path).parent / CIFAR_LAYOUTS[self.other_cifar].folder)

    def _draw(self, images: torch.Tensor) -> torch.Tensor:
        """A seeded subset of ``val_ood_images`` training images: validation never sees test images."""
        order = torch.randperm(len(images), generator=torch.Generator().manual_seed(self.seed + 1))
        return images[order[: self.val_ood_images]]

    def task_kwargs(self) -> dict[str, list[str]]:
        """The OOD sets of each split and the near ones, for :class:`~nasforge.tasks.OODTask`."""
        if self.data_test is None:
            raise RuntimeError(f"{type(self).__name__}: call setup() before asking for task_kwargs")
        return {"test_sets": self.test_sets, "val_sets": self.val_sets, "near": self.near_sets}

    def source_info(self) -> dict[str, Any]:
        return {**super().source_info(), "ood_test": self.test_sets, "ood_val": self.val_sets}


def _image_keys(images: torch.Tensor, unique: bool = True) -> Any:
    """A 16-byte digest of each image (a set, or a list with ``unique=False``): equal images, equal keys."""
    keys = (hashlib.blake2b(row.numpy().tobytes(), digest_size=16).digest() for row in images.flatten(1))
    return set(keys) if unique else list(keys)


def _names(value: Sequence[str] | str) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _class_index(value: int | str, classes: list[str]) -> int:
    if isinstance(value, str):
        if value not in classes:
            raise ValueError(f"CIFAROODDataModule: id_classes names {value!r}, not a class of {classes}")
        return classes.index(value)
    if not 0 <= int(value) < len(classes):
        raise ValueError(f"CIFAROODDataModule: id_classes index {value} is outside 0..{len(classes) - 1}")
    return int(value)


def _subset(pool: ImageArrays, relabel: torch.Tensor, kept: bool, names: list[str]) -> ImageArrays:
    mask = (relabel[pool.labels] >= 0) == kept
    labels = relabel[pool.labels[mask]] if kept else torch.full((int(mask.sum()),), -1, dtype=torch.long)
    return ImageArrays(images=pool.images[mask], labels=labels, classes=names)

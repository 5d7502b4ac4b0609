"""CIFAROODDataModule: which OOD sets join which split, the open-set split, and what it refuses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from nasforge.vision.data import CIFAROODDataModule


def _module(cifar10_dir: Path, cifar100_dir: Path, **kwargs) -> CIFAROODDataModule:
    dm = CIFAROODDataModule(
        path=str(cifar10_dir), other_cifar_path=str(cifar100_dir), batch_size=16, val_fraction=0.2, **kwargs
    )
    dm.prepare_data()
    dm.setup("fit")
    return dm


def _keys(images: torch.Tensor) -> set[bytes]:
    return {row.numpy().tobytes() for row in images.flatten(1)}


def test_the_other_cifar_is_the_test_ood_set_and_validation_stays_in_distribution(cifar10_dir, cifar100_dir):
    dm = _module(cifar10_dir, cifar100_dir)
    assert dm.task_kwargs() == {"test_sets": ["cifar100"], "val_sets": [], "near": ["cifar100"]}
    assert dm.data_test.ood.bincount().tolist() == [50, 100]  # 5 per class of 10; 1 per class of 100
    assert dm.data_val.ood.unique().tolist() == [0]
    batch = next(iter(dm.test_dataloader()))
    assert set(batch) == {"image", "label", "ood"} and batch["image"].dtype == torch.uint8


def test_ood_validation_draws_training_images_of_the_other_cifar_never_its_test_images(
    cifar10_dir, cifar100_dir
):
    dm = _module(cifar10_dir, cifar100_dir, ood_val="auto", val_ood_images=40)
    assert dm.task_kwargs()["val_sets"] == ["cifar100"]
    val_ood = dm.data_val.images[dm.data_val.ood == 1]
    test_ood = dm.data_test.images[dm.data_test.ood == 1]
    assert len(val_ood) == 40
    assert not _keys(val_ood) & _keys(test_ood)


def test_an_open_set_split_keeps_some_classes_and_holds_the_others_out(cifar10_dir, cifar100_dir):
    dm = _module(cifar10_dir, cifar100_dir, id_classes=[0, 1, 2, 3, 4, "class_05"], ood_val="auto")
    assert dm.num_classes == 6 and dm.task_kwargs()["test_sets"] == ["held_out"]
    assert dm.data_train.labels.max().item() == 5
    assert dm.data_test.ood.bincount().tolist() == [30, 20]  # 6 and 4 classes of 5 test images
    held_out_val = dm.data_val.images[dm.data_val.ood == 1]
    assert len(held_out_val) == 80  # the 4 held-out classes' 20 training images each
    assert not _keys(held_out_val) & _keys(dm.data_train.images)


def test_an_ood_set_holding_training_images_is_refused(cifar10_dir, cifar100_dir, tmp_path):
    probe = _module(cifar10_dir, cifar100_dir)
    lists = tmp_path / "benchmark_imglist" / "cifar10"
    images = tmp_path / "images_classic" / "copies"
    lists.mkdir(parents=True)
    images.mkdir(parents=True)
    lines = []
    for i in range(3):
        array = probe.data_train.images[i].permute(1, 2, 0).numpy()
        Image.fromarray(np.ascontiguousarray(array)).save(images / f"{i}.png")
        lines.append(f"copies/{i}.png 0")
    (lists / "test_copies.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match="'copies' holds 3 of the training images"):
        _module(cifar10_dir, cifar100_dir, ood_test=["copies"], openood_root=str(tmp_path))


@pytest.mark.parametrize(
    ("kwargs", "error", "problem"),
    [
        ({"ood_test": ["cifar10"]}, ValueError, "is the in-distribution dataset"),
        ({"ood_test": ["svhn"]}, FileNotFoundError, "unknown OOD set 'svhn' for test"),
        ({"ood_test": ["held_out"]}, ValueError, "needs data.id_classes"),
        ({"id_classes": [0, 11]}, ValueError, "outside 0..9"),
        ({"id_classes": ["dog", 1]}, ValueError, "names 'dog'"),
        ({"id_classes": list(range(10))}, ValueError, "leave some of the 10 classes out"),
    ],
)
def test_bad_ood_settings_are_named(cifar10_dir, cifar100_dir, kwargs, error, problem):
    with pytest.raises(error, match=problem):
        _module(cifar10_dir, cifar100_dir, **kwargs)


def test_a_generated_sample_comes_with_generated_near_and_far_sets(tmp_path):
    dm = CIFAROODDataModule(
        default_path=str(tmp_path / "absent"),
        synthetic_per_class=4,
        synthetic_dir=str(tmp_path),
        synthetic_ood_per_set=6,
        ood_val="auto",
        batch_size=8,
    )
    dm.prepare_data()
    dm.setup("fit")
    assert dm.task_kwargs() == {"test_sets": ["near", "far"], "val_sets": ["near"], "near": ["near"]}
    assert dm.data_test.ood.bincount().tolist() == [10, 6, 6]
    assert dm.data_val.ood.bincount()[1].item() == 3
    assert dm.source_info()["generated"]

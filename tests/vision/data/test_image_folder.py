import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from nasforge.vision.data import ImageDataError, ImageFolderDataset, scan_image_folder


def test_generated_folders_have_the_imagenet_layout(imagenet_dir: Path):
    train = sorted((imagenet_dir / "train").iterdir())
    assert [p.name for p in train] == [f"n{i:08d}" for i in range(4)]
    assert len(list(train[0].glob("*.JPEG"))) == 6
    assert len(list((imagenet_dir / "val" / train[0].name).glob("ILSVRC2012_val_*.JPEG"))) == 2
    with Image.open(next(train[0].glob("*.JPEG"))) as img:
        assert img.format == "JPEG" and img.size == (40, 40)


def test_scan_lists_classes_and_caps_per_class(imagenet_dir: Path):
    files, labels, classes = scan_image_folder(imagenet_dir / "train", max_per_class=4)
    assert len(files) == 16 and np.bincount(labels).tolist() == [4, 4, 4, 4]
    assert all(f.parent.name == classes[y] for f, y in zip(files, labels, strict=True))
    val_files, _, _ = scan_image_folder(imagenet_dir / "val", classes)
    assert len(val_files) == 8


def test_items_are_uint8_crops_of_the_requested_size(imagenet_dir: Path):
    files, labels, _ = scan_image_folder(imagenet_dir / "train")
    center = ImageFolderDataset(files, labels, image_size=24)
    item = center[7]
    assert item["image"].shape == (3, 24, 24) and item["image"].dtype == torch.uint8
    assert item["label"].dtype == torch.int64 and int(item["label"]) == int(labels[7])
    assert torch.equal(center[7]["image"], item["image"])  # the centre crop is deterministic
    randomly = ImageFolderDataset(files, labels, image_size=24, crop_fraction=0.5, random_crop=True)
    torch.manual_seed(0)
    crops = {randomly[7]["image"].float().sum().item() for _ in range(6)}
    assert len(crops) > 1


def test_non_square_images_keep_their_aspect_before_the_crop(tmp_path: Path):
    path = tmp_path / "wide.png"
    pixels = np.zeros((20, 60, 3), dtype=np.uint8)
    pixels[:, 30:] = 255  # right half white
    Image.fromarray(pixels).save(path)
    item = ImageFolderDataset([path], [0], image_size=20, crop_fraction=1.0)[0]["image"]
    # the shorter side is resized to 20, the 60-pixel width stays 60, and the centre crop straddles the edge
    assert item[:, :, :8].max() < 30 and item[:, :, 12:].min() > 225


def test_empty_class_folder_is_named(imagenet_dir: Path, tmp_path: Path):
    root = tmp_path / "train"
    shutil.copytree(imagenet_dir / "train", root)
    (root / "n99999999").mkdir()
    (root / "n99999999" / "notes.txt").write_text("no images here")
    with pytest.raises(ImageDataError, match=r"n99999999: empty class folder"):
        scan_image_folder(root)


def test_split_without_class_folders_and_mismatched_classes(imagenet_dir: Path, tmp_path: Path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImageDataError, match="has no class folders"):
        scan_image_folder(tmp_path / "empty")
    with pytest.raises(ImageDataError, match=r"missing \['n00000009'\]"):
        scan_image_folder(imagenet_dir / "val", [f"n{i:08d}" for i in (0, 1, 2, 3, 9)])
    with pytest.raises(FileNotFoundError, match="no such folder"):
        scan_image_folder(tmp_path / "absent")


def test_unreadable_image_is_named(tmp_path: Path):
    bad = tmp_path / "n0" / "broken.JPEG"
    bad.parent.mkdir()
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    data = ImageFolderDataset(*scan_image_folder(tmp_path)[:2], image_size=8)
    with pytest.raises(ImageDataError, match=r"broken\.JPEG: unreadable image"):
        data[0]

"""OpenOOD image lists: the generated near / far OOD sets read back through the reader, and every fault
of a list or an image is reported with the file and the line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from nasforge.vision.data import ImageDataError, ImageListDataset, find_openood_lists, read_imglist
from nasforge.vision.data.generate import ClassPatterns, write_ood_sets

PER_SET, VAL_PER_SET = 30, 12


@pytest.fixture(scope="module")
def ood_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ood_sets(
        tmp_path_factory.mktemp("openood"), per_set=PER_SET, val_per_set=VAL_PER_SET, seed=1
    )


def _pixels(root: Path, relative: str) -> np.ndarray:
    with Image.open(root / "images_classic" / relative) as img:
        return np.asarray(img)


def _read_set(root: Path, split: str, name: str) -> np.ndarray:
    """``[N, 32, 32, 3]`` float images of one generated list, through the reader and the dataset."""
    files, labels = read_imglist(find_openood_lists(root, "cifar10")[split][name], root / "images_classic")
    data = ImageListDataset(files, labels, ood=1)
    return np.stack([data[i]["image"].permute(1, 2, 0).numpy() for i in range(len(data))]).astype(float)


def test_generated_sets_read_back_in_the_openood_layout(ood_root: Path):
    lists = find_openood_lists(ood_root, "cifar10")
    assert {split: sorted(sets) for split, sets in lists.items()} == {
        "test": ["far", "near"],
        "val": ["far", "near"],
    }
    assert lists["val"]["near"] == ood_root / "benchmark_imglist" / "cifar10" / "val_near.txt"
    first = lists["test"]["near"].read_text().splitlines()[0]
    assert first == "near/test/00000.png -1"  # OpenOOD's '<path> <label>', -1 on OOD lists
    for split, count in (("test", PER_SET), ("val", VAL_PER_SET)):
        for name in ("near", "far"):
            files, labels = read_imglist(lists[split][name], ood_root / "images_classic")
            assert len(files) == count and labels.dtype == np.int64 and set(labels.tolist()) == {-1}
            item = ImageListDataset(files, labels, ood=1)[count - 1]
            assert item["image"].shape == (3, 32, 32) and item["image"].dtype == torch.uint8
            assert (
                item["label"].shape == () and item["label"].dtype == torch.int64 and int(item["label"]) == -1
            )
            assert item["ood"].shape == () and item["ood"].dtype == torch.int64 and int(item["ood"]) == 1


def test_the_id_lists_are_left_out(tmp_path: Path):
    folder = tmp_path / "benchmark_imglist" / "cifar10"
    folder.mkdir(parents=True)
    for name in ("train_cifar10", "val_cifar10", "test_cifar10", "test_cifar100", "test_tin", "val_tin"):
        (folder / f"{name}.txt").write_text("x.png 0\n")
    assert find_openood_lists(tmp_path, "cifar10") == {
        "test": {"cifar100": folder / "test_cifar100.txt", "tin": folder / "test_tin.txt"},
        "val": {"tin": folder / "val_tin.txt"},
    }


def test_sets_are_fixed_by_the_seed_and_val_differs_from_test(ood_root: Path, tmp_path: Path):
    again = write_ood_sets(tmp_path / "again", per_set=PER_SET, val_per_set=VAL_PER_SET, seed=1)
    other = write_ood_sets(tmp_path / "other", per_set=PER_SET, val_per_set=VAL_PER_SET, seed=2)
    for name in ("near", "far"):
        relative = f"{name}/test/00003.png"
        assert (again / "images_classic" / relative).read_bytes() == (
            ood_root / "images_classic" / relative
        ).read_bytes()
        assert not np.array_equal(_pixels(other, relative), _pixels(ood_root, relative))
        test, val = _read_set(ood_root, "test", name), _read_set(ood_root, "val", name)
        assert not any(np.array_equal(v, t) for v in val for t in test)


def _id_class_colours() -> np.ndarray:
    """The mean colours of the classes the ID model learns (write_ood_sets: seed=1, difficulty="hard")."""
    patterns = ClassPatterns(10, seed=1, difficulty="hard")
    labels = np.repeat(np.arange(10), 100)
    id_images = patterns.images(labels, 32, np.random.default_rng(0)).astype(float)
    return np.stack([id_images[labels == c].mean(axis=(0, 1, 2)) for c in range(10)])


def _colour_distance(images: np.ndarray, class_colours: np.ndarray) -> np.ndarray:
    means = images.mean(axis=(1, 2))  # [N, 3]
    return np.linalg.norm(means[:, None] - class_colours[None], axis=-1).min(axis=1)


def test_near_images_are_closer_to_the_id_classes_than_far_images(tmp_path: Path):
    colours = _id_class_colours()
    siblings = write_ood_sets(tmp_path / "siblings", per_set=200, val_per_set=1, seed=1)  # the hard default
    new = write_ood_sets(tmp_path / "new", per_set=200, val_per_set=1, seed=1, near="new_classes")
    far = _colour_distance(_read_set(siblings, "test", "far"), colours)
    sibling_near = _colour_distance(_read_set(siblings, "test", "near"), colours)
    new_near = _colour_distance(_read_set(new, "test", "near"), colours)
    assert sibling_near.max() < far.min()  # every sibling has an ID pair's colour
    assert np.median(new_near) + 30 < np.median(far)  # new classes lie nearer the ID ones than far images
    assert new_near.min() > 5  # and are not ID classes


def _chroma_spread(root: Path) -> float:
    """Spread over the near test images of their colour less its grey level (the per-image brightness
    shift removed): how many different class colours the set holds."""
    colours = _read_set(root, "test", "near").mean(axis=(1, 2))  # [N, 3]
    return float((colours - colours.mean(axis=1, keepdims=True)).std(axis=0).mean())


def test_a_new_classes_near_set_draws_from_near_classes_classes(tmp_path: Path):
    kwargs = {"per_set": 40, "val_per_set": 1, "seed": 1, "near": "new_classes"}
    one = write_ood_sets(tmp_path / "one", near_classes=1, **kwargs)
    many = write_ood_sets(tmp_path / "many", **kwargs)  # 100 by default
    assert _chroma_spread(one) < 3 < 20 < _chroma_spread(many)
    with pytest.raises(ValueError, match="need >= 1 near class"):
        write_ood_sets(tmp_path / "none", near_classes=0)


def test_near_kinds_are_checked(tmp_path: Path):
    easy = write_ood_sets(tmp_path / "easy", per_set=4, val_per_set=1, difficulty="easy")
    assert len(_read_set(easy, "test", "near")) == 4  # new classes: the easy variant has no pairs
    with pytest.raises(ValueError, match="'siblings' needs difficulty 'hard'"):
        write_ood_sets(tmp_path / "bad", difficulty="easy", near="siblings")
    with pytest.raises(ValueError, match="unknown near-OOD kind 'cousins'"):
        write_ood_sets(tmp_path / "bad", near="cousins")


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("img/a.png", r"list\.txt: line 2: expected 2 fields '<image path> <label>', got 1: 'img/a\.png'"),
        ("img/a.png 0 extra", r"list\.txt: line 2: expected 2 fields .*, got 3"),
        ("img/a.png cat", r"list\.txt: line 2: label field 'cat' is not an integer"),
        ("img/a.png 1.5", r"list\.txt: line 2: label field '1\.5' is not an integer"),
        ("/abs/a.png 0", r"list\.txt: line 2: image path field '/abs/a\.png' must be relative"),
    ],
)
def test_malformed_lines_name_file_line_and_field(tmp_path: Path, line: str, match: str):
    (tmp_path / "img").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "img" / "a.png")
    path = tmp_path / "list.txt"
    path.write_text(f"img/a.png -1\n{line}\n")
    with pytest.raises(ImageDataError, match=match):
        read_imglist(path, tmp_path)


def test_empty_list_and_blank_trailing_lines(tmp_path: Path):
    Image.new("RGB", (4, 4)).save(tmp_path / "a.png")
    path = tmp_path / "list.txt"
    path.write_text("\n\n")
    with pytest.raises(ImageDataError, match=r"list\.txt: empty image list"):
        read_imglist(path, tmp_path)
    path.write_text("a.png -1\r\na.png 3\n\n  \n")
    files, labels = read_imglist(path, tmp_path)
    assert files == [tmp_path / "a.png"] * 2 and labels.tolist() == [-1, 3]


def test_missing_images_are_named_and_counted(tmp_path: Path):
    Image.new("RGB", (4, 4)).save(tmp_path / "a.png")
    path = tmp_path / "list.txt"
    path.write_text("a.png -1\nb.png -1\nc.png -1\n")
    with pytest.raises(
        ImageDataError, match=r"list\.txt: 2 of 3 listed images do not exist, first .*b\.png \(line 2\)"
    ):
        read_imglist(path, tmp_path)


def test_missing_list_and_list_folder_name_the_expected_layout(tmp_path: Path):
    with pytest.raises(
        FileNotFoundError, match=r"test_near\.txt: no such image list \(expected .*benchmark_imglist"
    ):
        read_imglist(tmp_path / "test_near.txt", tmp_path)
    with pytest.raises(FileNotFoundError, match=r"benchmark_imglist/cifar10: no such folder"):
        find_openood_lists(tmp_path, "cifar10")


def test_undecodable_image_is_named(tmp_path: Path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    with pytest.raises(ImageDataError, match=r"broken\.png: unreadable image"):
        ImageListDataset([bad], [-1], ood=1)[0]


def test_grayscale_28x28_comes_back_rgb_32x32(tmp_path: Path):
    pixels = np.zeros((28, 28), dtype=np.uint8)
    pixels[:, 14:] = 200  # right half bright
    Image.fromarray(pixels).save(tmp_path / "digit.png")
    item = ImageListDataset([tmp_path / "digit.png"], [-1], size=32, ood=1)[0]
    image = item["image"]
    assert image.shape == (3, 32, 32) and image.dtype == torch.uint8
    assert torch.equal(image[0], image[1]) and torch.equal(image[1], image[2])
    assert image[:, :, :14].max() == 0 and image[:, :, 18:].min() == 200

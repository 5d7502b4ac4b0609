"""The hard generated CIFAR sample: overlapping classes told apart by a shape, optional label noise."""

from __future__ import annotations

import numpy as np
import pytest

from nasforge.vision.data import read_cifar
from nasforge.vision.data.generate import write_cifar, write_cifar_arrays
from nasforge.vision.data.generate.__main__ import main as generate_main
from nasforge.vision.data.generate.pattern import ClassPatterns


def _class_means(images: np.ndarray, labels: np.ndarray, classes: int) -> np.ndarray:
    return np.stack([images[labels == c].reshape(-1, 3).mean(axis=0) for c in range(classes)])


def test_hard_classes_come_in_pairs_of_one_colour_told_apart_by_a_shape():
    labels = np.repeat(np.arange(4), 200)
    rng = np.random.default_rng(0)
    easy = _class_means(ClassPatterns(4).images(labels, 32, rng).astype(float), labels, 4)
    hard_images = ClassPatterns(4, difficulty="hard").images(labels, 32, rng).astype(float)
    hard = _class_means(hard_images, labels, 4)
    assert np.abs(hard[0] - hard[1]).max() < 4 < np.abs(easy[0] - easy[1]).max()  # a pair shares its colour
    # the shape: a disk and a square of one area, so they differ in the corners of the square
    corner = hard_images[:, 10:12, 10:12].mean(axis=(1, 2, 3))
    assert corner[labels == 1].mean() > corner[labels == 0].mean()


def test_the_siblings_of_a_pair_share_its_look_and_carry_a_shape_neither_member_has():
    patterns = ClassPatterns(4, difficulty="hard")
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 300)
    members = patterns.images(labels, 32, rng).astype(float)
    siblings = patterns.sibling_images(np.repeat([0, 1], 300), 32, rng).astype(float)
    pairs = np.repeat([0, 1], 300)
    member_colour = _class_means(members, labels // 2, 2)
    assert np.abs(_class_means(siblings, pairs, 2) - member_colour).max() < 4  # the pair's colour
    # without noise or stripes an image is its colour, a brightness shift and 28 on its shape: the
    # shape read back from it is a plus sign, on along its axes and off on its diagonals
    bare = ClassPatterns(4, difficulty="hard", noise=0.0, contrast=0.0)
    for image in bare.sibling_images(np.array([0, 1, 1]), 32, rng).astype(float):
        mask = (image[..., 0] - image[..., 0].min()) > 14
        cy, cx = np.argwhere(mask).mean(axis=0)  # the centre of a symmetric shape
        r = 32 / 5
        on_axes = [
            (cy + dy, cx + dx) for dy, dx in ((0.9 * r, 0), (-0.9 * r, 0), (0, 0.9 * r), (0, -0.9 * r))
        ]
        diagonals = [(cy + dy, cx + dx) for dy in (0.65 * r, -0.65 * r) for dx in (0.65 * r, -0.65 * r)]
        assert all(mask[round(y), round(x)] for y, x in on_axes)
        assert not any(mask[round(y), round(x)] for y, x in diagonals)  # a disk and a square cover these
    masks = ClassPatterns._shapes(np.repeat([0, 1, 2], 100), 32, np.random.default_rng(1))
    areas = masks.sum(axis=(1, 2)).reshape(3, 100).mean(axis=1)  # disk, square, plus, over jitters
    assert np.abs(areas / areas[0] - 1).max() < 0.05  # one area: only the shape differs
    with pytest.raises(ValueError, match="only the hard variant has pairs"):
        ClassPatterns(4).sibling_images(np.array([0]), 32, rng)
    with pytest.raises(ValueError, match=r"pairs must lie in \[0, 2\)"):
        patterns.sibling_images(np.array([2]), 32, rng)


def test_label_noise_changes_training_labels_only(tmp_path):
    clean = read_cifar(
        write_cifar(tmp_path / "clean", train_per_class=100, test_per_class=20), "cifar10", "train"
    )
    noisy_folder = write_cifar(tmp_path / "noisy", train_per_class=100, test_per_class=20, label_noise=0.3)
    noisy = read_cifar(noisy_folder, "cifar10", "train")
    changed = (np.asarray(clean.labels) != np.asarray(noisy.labels)).mean()
    assert 0.2 < changed < 0.33  # 30% redrawn, a tenth of them to the same class
    np.testing.assert_array_equal(clean.images, noisy.images)
    test_clean = read_cifar(tmp_path / "clean" / "cifar-10-batches-py", "cifar10", "test")
    test_noisy = read_cifar(noisy_folder, "cifar10", "test")
    np.testing.assert_array_equal(test_clean.labels, test_noisy.labels)
    with pytest.raises(ValueError, match="label_noise"):
        write_cifar(tmp_path / "bad", label_noise=1.0)


def test_the_command_line_writes_the_hard_sample_by_default(tmp_path):
    for difficulty, args in (("hard", []), ("easy", ["--difficulty", "easy"])):
        out = tmp_path / difficulty
        generate_main(
            ["cifar10", "--out", str(out), "--train-per-class", "4", "--test-per-class", "1", *args]
        )
        expected = write_cifar(
            tmp_path / f"api-{difficulty}", train_per_class=4, test_per_class=1, difficulty=difficulty
        )
        written = read_cifar(out / "cifar-10-batches-py", "cifar10", "train")
        np.testing.assert_array_equal(written.images, read_cifar(expected, "cifar10", "train").images)


def test_arrays_of_any_images_are_written_in_the_layout_the_readers_take(tmp_path):
    rng = np.random.default_rng(0)
    train = (rng.integers(0, 256, (12, 3072), dtype=np.uint8), np.arange(12) % 10)
    test = (rng.integers(0, 256, (3, 3072), dtype=np.uint8), np.arange(3))
    names = [str(digit) for digit in range(10)]
    folder = write_cifar_arrays(tmp_path, "cifar10", train, test, names)
    read = read_cifar(folder, "cifar10", "train")
    assert read.classes == names and read.labels.tolist() == train[1].tolist()
    np.testing.assert_array_equal(read.images.reshape(12, -1).numpy(), train[0])
    with pytest.raises(ValueError, match="cifar10 has 10 classes, got 2 names"):
        write_cifar_arrays(tmp_path / "bad", "cifar10", train, test, ["a", "b"])
    assert not (tmp_path / "bad").exists()  # refused before anything is written

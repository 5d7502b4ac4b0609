import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from nasforge.vision.data import ImageDataError, load_pickle, read_cifar, write_cifar


def _raw(path: Path) -> dict:
    with path.open("rb") as handle:
        return pickle.load(handle, encoding="bytes")


def test_generated_cifar10_has_the_public_layout(cifar10_dir: Path):
    assert cifar10_dir.name == "cifar-10-batches-py"
    names = sorted(p.name for p in cifar10_dir.iterdir())
    assert names == ["batches.meta", *(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]
    batch = _raw(cifar10_dir / "data_batch_1")
    assert {b"data", b"labels", b"batch_label", b"filenames"} <= set(batch)
    assert batch[b"data"].dtype == np.uint8 and batch[b"data"].shape == (40, 3072)
    meta = _raw(cifar10_dir / "batches.meta")
    assert len(meta[b"label_names"]) == 10 and isinstance(meta[b"label_names"][0], bytes)


def test_read_cifar10_splits(cifar10_dir: Path):
    train = read_cifar(cifar10_dir, "cifar10", "train")
    test = read_cifar(cifar10_dir.parent, "cifar10", "test")  # the parent folder works too
    assert train.images.shape == (200, 3, 32, 32) and train.images.dtype == torch.uint8
    assert test.images.shape == (50, 3, 32, 32)
    assert train.labels.dtype == torch.int64 and torch.bincount(train.labels).tolist() == [20] * 10
    assert train.classes[0] == "class_00" and len(train.classes) == 10


def test_read_cifar100_uses_fine_labels(cifar100_dir: Path):
    raw = _raw(cifar100_dir / "train")
    assert {b"fine_labels", b"coarse_labels"} <= set(raw)
    train = read_cifar(cifar100_dir, "cifar100", "train")
    assert train.labels.tolist() == raw[b"fine_labels"]
    assert len(train.classes) == 100 and train.labels.max() > 19


def _write_batch(folder: Path, name: str, entry: dict) -> Path:
    with (folder / name).open("wb") as handle:
        pickle.dump(entry, handle, protocol=2)
    return folder / name


@pytest.fixture
def cifar_copy(tmp_path: Path) -> Path:
    return write_cifar(tmp_path, "cifar10", train_per_class=2, test_per_class=1)


def test_pixels_are_row_major_rgb_planes(cifar_copy: Path):
    data = np.zeros((1, 3072), dtype=np.uint8)
    data[0, 0 * 1024 + 5 * 32 + 7] = 11  # R at row 5, column 7
    data[0, 1 * 1024 + 0 * 32 + 31] = 22  # G at row 0, column 31
    data[0, 2 * 1024 + 31 * 32 + 0] = 33  # B at row 31, column 0
    _write_batch(cifar_copy, "test_batch", {b"data": data, b"labels": [3]})
    image = read_cifar(cifar_copy, "cifar10", "test").images[0]
    assert image[0, 5, 7] == 11 and image[1, 0, 31] == 22 and image[2, 31, 0] == 33
    assert int(image.sum()) == 66


def test_truncated_pickle_names_the_file(cifar_copy: Path):
    target = cifar_copy / "data_batch_3"
    target.write_bytes(target.read_bytes()[:500])
    with pytest.raises(ImageDataError, match=r"data_batch_3: not a readable python pickle"):
        read_cifar(cifar_copy, "cifar10", "train")


def test_garbage_file_names_the_file(cifar_copy: Path):
    (cifar_copy / "test_batch").write_bytes(b"this is not a pickle at all")
    with pytest.raises(ImageDataError, match=r"test_batch: not a readable python pickle"):
        read_cifar(cifar_copy, "cifar10", "test")


def test_wrong_array_shape_names_the_file(cifar_copy: Path):
    _write_batch(cifar_copy, "test_batch", {b"data": np.zeros((4, 3000), np.uint8), b"labels": [0] * 4})
    with pytest.raises(
        ImageDataError, match=r"test_batch: 'data' must be uint8 \[N, 3072\], got uint8 \[4, 3000\]"
    ):
        read_cifar(cifar_copy, "cifar10", "test")


@pytest.mark.parametrize(
    ("labels", "message"),
    [([0, 1], "4 images but labels of shape"), ([0, 1, 2, 10], r"labels must lie in \[0, 10\)")],
)
def test_bad_labels_name_the_file(cifar_copy: Path, labels: list[int], message: str):
    _write_batch(cifar_copy, "test_batch", {b"data": np.zeros((4, 3072), np.uint8), b"labels": labels})
    with pytest.raises(ImageDataError, match=rf"test_batch: {message}"):
        read_cifar(cifar_copy, "cifar10", "test")


def test_missing_key_and_missing_file(cifar_copy: Path):
    _write_batch(cifar_copy, "test_batch", {b"pixels": np.zeros((1, 3072), np.uint8)})
    with pytest.raises(ImageDataError, match="no 'data' entry"):
        read_cifar(cifar_copy, "cifar10", "test")
    (cifar_copy / "data_batch_5").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_5"):
        read_cifar(cifar_copy, "cifar10", "train")
    with pytest.raises(FileNotFoundError, match=r"batches\.meta"):
        read_cifar(cifar_copy / "nowhere", "cifar10", "train")


class _Exploit:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_pickles_that_call_other_globals_are_refused(tmp_path: Path, capsys):
    path = tmp_path / "evil"
    path.write_bytes(pickle.dumps({b"data": _Exploit()}))
    with pytest.raises(ImageDataError, match=r"evil: .*refusing to load global builtins.print"):
        load_pickle(path)
    assert "never run" not in capsys.readouterr().out


def test_unknown_dataset_and_split_list_the_choices(cifar10_dir: Path):
    with pytest.raises(
        ValueError, match=r"unknown dataset 'cifar1000'; choose one of \['cifar10', 'cifar100'\]"
    ):
        read_cifar(cifar10_dir, "cifar1000", "train")
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        read_cifar(cifar10_dir, "cifar10", "val")

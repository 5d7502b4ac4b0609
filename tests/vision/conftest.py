"""Generated image samples in the public layouts, written once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from nasforge.vision.data import write_cifar, write_image_folder


@pytest.fixture(scope="session")
def cifar10_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_cifar(
        tmp_path_factory.mktemp("cifar10"), "cifar10", train_per_class=20, test_per_class=5, seed=1
    )


@pytest.fixture(scope="session")
def cifar100_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_cifar(
        tmp_path_factory.mktemp("cifar100"), "cifar100", train_per_class=3, test_per_class=1, seed=1
    )


@pytest.fixture(scope="session")
def imagenet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_image_folder(
        tmp_path_factory.mktemp("imagenet") / "imagenet", num_classes=4, train_per_class=6, val_per_class=2,
        image_size=40, seed=1,
    )  # fmt: skip

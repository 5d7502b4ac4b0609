from pathlib import Path
from types import SimpleNamespace

import lightning as L
import pytest
import torch

from nasforge.lit import ChildModule
from nasforge.tasks.classification import ClassificationTask
from nasforge.vision.data import CIFARDataModule, ImageNetDataModule, write_cifar
from nasforge.vision.data.generate.__main__ import main as generate_main
from nasforge.vision.models import ResNet


def _cifar(tmp_path: Path, **kwargs) -> CIFARDataModule:
    options = dict(
        default_path=str(tmp_path / "cifar-10-batches-py"), synthetic_per_class=20,
        synthetic_dir=str(tmp_path / "generated"), batch_size=16,
    )  # fmt: skip
    dm = CIFARDataModule(**{**options, **kwargs})
    dm.prepare_data()
    dm.setup("fit")
    return dm


def test_cifar_falls_back_to_a_flagged_sample_and_splits_it(tmp_path: Path):
    dm = _cifar(tmp_path, val_fraction=0.25)
    info = dm.source_info()
    assert info["generated"] is True and "generated" in info["path"]
    assert (info["train_images"], info["val_images"], info["test_images"]) == (150, 50, 40)
    assert dm.model_kwargs() == {"num_classes": 10, "in_chans": 3}
    again = _cifar(tmp_path, val_fraction=0.25)
    assert torch.equal(dm.data_val.images, again.data_val.images)  # seeded split
    other = _cifar(tmp_path, val_fraction=0.25, seed=5, synthetic_per_class=None, path=info["path"])
    assert not torch.equal(dm.data_val.images, other.data_val.images)
    assert other.source_info()["generated"] is False


def test_cifar_batches_are_uint8_and_become_normalised_on_transfer(tmp_path: Path):
    dm = _cifar(tmp_path, max_samples=40)
    assert len(dm.data_train) == 40 and len(dm.data_test) == 40
    loader = dm.train_dataloader()
    batch = next(iter(loader))
    assert batch["image"].shape == (16, 3, 32, 32) and batch["image"].dtype == torch.uint8
    assert batch["label"].dtype == torch.int64
    assert sum(len(b["label"]) for b in loader) == 40
    dm.trainer = SimpleNamespace(training=False, world_size=1)
    evaluated = dm.on_after_batch_transfer(batch, 0)["image"]
    torch.testing.assert_close(evaluated, dm.augment.eval()(batch["image"]))
    dm.trainer = SimpleNamespace(training=True, world_size=1)
    trained = dm.on_after_batch_transfer(batch, 0)["image"]
    assert trained.dtype == torch.float32 and not torch.equal(trained, evaluated)


def test_real_layout_at_the_default_path_is_used(tmp_path: Path):
    write_cifar(tmp_path, "cifar100", train_per_class=2, test_per_class=1)
    dm = CIFARDataModule(
        dataset="cifar100", default_path=str(tmp_path / "cifar-100-python"), synthetic_per_class=5,
        synthetic_dir=str(tmp_path / "generated"), val_fraction=0.1,
    )  # fmt: skip
    dm.prepare_data()
    dm.setup()
    assert dm.source_info()["generated"] is False and not (tmp_path / "generated").exists()
    assert dm.model_kwargs()["num_classes"] == 100 and len(dm.data_train) == 180


def test_bad_options_are_rejected(tmp_path: Path):
    with pytest.raises(ValueError, match="unknown dataset 'cifar9'"):
        CIFARDataModule(dataset="cifar9")
    with pytest.raises(ValueError, match="val_fraction must be in"):
        CIFARDataModule(val_fraction=1.0)
    with pytest.raises(ValueError, match="max_samples must be >= 1"):
        CIFARDataModule(max_samples=0)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        _cifar(tmp_path, path=str(tmp_path / "missing"))


def test_imagenet_module_decodes_in_workers(imagenet_dir: Path):
    dm = ImageNetDataModule(
        path=str(imagenet_dir), image_size=24, max_per_class=5, batch_size=4, val_fraction=0.2, num_workers=1,
        pin_memory=False, persistent_workers=False,
    )  # fmt: skip
    dm.prepare_data()
    dm.setup("fit")
    assert dm.model_kwargs() == {"num_classes": 4, "in_chans": 3}
    assert (len(dm.data_train), len(dm.data_val), len(dm.data_test)) == (16, 4, 8)
    assert dm.data_train.random_crop and not dm.data_val.random_crop
    batch = next(iter(dm.train_dataloader()))
    assert batch["image"].shape == (4, 3, 24, 24) and batch["image"].dtype == torch.uint8


def test_imagenet_generated_sample_is_flagged(tmp_path: Path):
    dm = ImageNetDataModule(
        default_path=str(tmp_path / "imagenet"), synthetic_per_class=5, synthetic_classes=3,
        synthetic_image_size=16, synthetic_dir=str(tmp_path / "generated"), image_size=16, batch_size=4,
    )  # fmt: skip
    dm.prepare_data()
    dm.setup()
    assert dm.source_info()["generated"] is True and dm.model_kwargs()["num_classes"] == 3


def test_generator_command_line(tmp_path: Path):
    assert (
        generate_main(["cifar10", "--out", str(tmp_path), "--train-per-class", "2", "--test-per-class", "1"])
        == 0
    )
    assert (tmp_path / "cifar-10-batches-py" / "data_batch_5").is_file()
    assert (
        generate_main(["imagenet", "--out", str(tmp_path / "in"), "--classes", "2", "--train-per-class", "1"])
        == 0
    )
    assert len(list((tmp_path / "in" / "train").rglob("*.JPEG"))) == 2


def test_lightning_fit_augments_on_transfer_and_logs_accuracy(tmp_path: Path):
    dm = CIFARDataModule(
        default_path=str(tmp_path / "absent"), synthetic_per_class=8, synthetic_dir=str(tmp_path / "gen"),
        batch_size=16,
    )  # fmt: skip
    net = ResNet("basic", (1, 1), num_classes=10, stem="cifar", widths=(8, 16))
    model = ChildModule(net, ClassificationTask(), optimizer=lambda params: torch.optim.SGD(params, lr=0.05))
    trainer = L.Trainer(
        max_epochs=1, limit_train_batches=2, limit_val_batches=1, limit_test_batches=1, logger=False,
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False, accelerator="cpu",
    )  # fmt: skip
    trainer.fit(model, datamodule=dm)
    assert {"val/acc", "val/acc_top5", "val/acc_best"} <= set(trainer.callback_metrics)
    trainer.test(model, datamodule=dm, verbose=False)
    assert 0.0 <= float(trainer.callback_metrics["test/acc"]) <= 1.0

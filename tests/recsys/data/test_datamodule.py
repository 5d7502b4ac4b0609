"""CTRDataModule: batch shapes, one pass over each split per epoch, quick-run limits, day splits."""

from __future__ import annotations

import pickle
from pathlib import Path
from types import SimpleNamespace

import lightning as L
import numpy as np
import pytest
import torch

from nasforge.recsys.data import CTRDataModule

ROWS = 6000  # rows of the generated files (conftest.ROWS)


def _dm(path: Path, cache: Path, dataset: str = "criteo", **kwargs) -> CTRDataModule:
    dm = CTRDataModule(dataset=dataset, path=str(path), cache_dir=str(cache), progress=False, **kwargs)
    dm.prepare_data()
    dm.setup()
    return dm


def _rows(loader) -> tuple[np.ndarray, int]:
    """All (dense, sparse, label) rows of one epoch as one array, and the batch count."""
    parts, batches = [], 0
    for batch in loader:
        batches += 1
        parts.append(np.concatenate([batch["dense"], batch["sparse"], batch["label"][:, None]], axis=1))
    return np.concatenate(parts), batches


def test_batches_have_the_promised_shapes(criteo_file: Path, tmp_path: Path) -> None:
    dm = _dm(criteo_file, tmp_path, batch_size=256)
    assert dm.model_kwargs() == {"num_dense": 13, "vocab_sizes": dm.vocab_sizes}
    assert len(dm.vocab_sizes) == 26 and len(dm.feature_names) == 39 and dm.meta["dataset"] == "criteo"
    batch = next(iter(dm.train_dataloader()))
    assert set(batch) == {"dense", "sparse", "label"}
    assert batch["dense"].shape == (256, 13) and batch["dense"].dtype == torch.float32
    assert batch["sparse"].shape == (256, 26) and batch["sparse"].dtype == torch.int32
    assert batch["label"].shape == (256,) and batch["label"].dtype == torch.float32
    assert batch["sparse"].is_contiguous()


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_each_split_is_covered_once_per_epoch(criteo_file: Path, tmp_path: Path, split: str) -> None:
    dm = _dm(criteo_file, tmp_path, batch_size=100, eval_batch_size=300)
    info = dm.info
    arrays = info.arrays(split)
    expected = np.concatenate([arrays["dense"], arrays["sparse"], arrays["label"][:, None]], axis=1)
    loader = getattr(dm, f"{split}_dataloader")()
    got, batches = _rows(loader)
    size = 100 if split == "train" else 300
    assert batches == -(-len(expected) // size)
    if split == "train":  # shuffled batch order: same rows as a multiset
        got, expected = np.unique(got, axis=0), np.unique(expected, axis=0)
    np.testing.assert_array_equal(got, expected)


def test_train_batch_order_changes_between_epochs(criteo_file: Path, tmp_path: Path) -> None:
    dm = _dm(criteo_file, tmp_path, batch_size=64)
    loader = dm.train_dataloader()
    torch.manual_seed(0)
    first = [b["label"].sum().item() for b in loader]
    second = [b["label"].sum().item() for b in loader]
    assert first != second and sorted(first) == sorted(second)


def test_max_samples_and_fraction(criteo_file: Path, tmp_path: Path) -> None:
    dm = _dm(criteo_file, tmp_path, batch_size=128, max_samples=1000)
    rows = [dm.info.rows(p) for p in ("train", "val", "test")]
    assert [d.num_rows for d in (dm.data_train, dm.data_val, dm.data_test)] == [min(n, 1000) for n in rows]
    assert _rows(dm.train_dataloader())[0].shape[0] == 1000
    dm = _dm(criteo_file, tmp_path, batch_size=128, fraction=0.25)
    assert dm.data_train.num_rows == int(dm.info.rows("train") * 0.25)
    dm = _dm(criteo_file, tmp_path, batch_size=128, drop_last=True)
    assert all(len(b["label"]) == 128 for b in dm.train_dataloader())


def test_day_split_defaults_and_choices(avazu_file: Path, tmp_path: Path) -> None:
    dm = _dm(avazu_file, tmp_path, dataset="avazu", split="day")
    info = dm.info
    assert [s.part for s in dm.data_train.segments] == ["day_141021", "day_141022"]
    last = info.rows("day_141023")
    assert dm.data_val.num_rows == last // 2 and dm.data_test.num_rows == last - last // 2
    assert dm.num_dense == 0 and next(iter(dm.train_dataloader()))["dense"].shape[1] == 0
    dm = _dm(avazu_file, tmp_path, dataset="avazu", split="day", train_days=[141021], val_days=[141022],
             test_days=[141023])  # fmt: skip
    assert [d.num_rows for d in (dm.data_train, dm.data_val, dm.data_test)] == [
        info.rows(f"day_{d}") for d in (141021, 141022, 141023)
    ]
    with pytest.raises(ValueError, match=r"val_days \[999\] not in the data; days present"):
        _dm(avazu_file, tmp_path, dataset="avazu", split="day", val_days=[999], test_days=[141023])
    with pytest.raises(ValueError, match="in train_days and in val/test"):
        _dm(avazu_file, tmp_path, dataset="avazu", split="day", train_days=[141021, 141022],
            val_days=[141022], test_days=[141023])  # fmt: skip


def test_terabyte_day_split(terabyte_dir: Path, tmp_path: Path) -> None:
    dm = _dm(terabyte_dir, tmp_path, dataset="criteo_terabyte", split="day", batch_size=500)
    assert len(dm.train_dataloader()) == 8 and dm.data_val.num_rows == 1000 and dm.data_test.num_rows == 1000


def test_batch_size_must_divide_by_world_size(criteo_file: Path, tmp_path: Path) -> None:
    dm = CTRDataModule(path=str(criteo_file), cache_dir=str(tmp_path), batch_size=512, progress=False)
    dm.trainer = SimpleNamespace(world_size=3)
    with pytest.raises(RuntimeError, match="batch_size=512 is not divisible by the world size"):
        dm.setup()
    dm.trainer = SimpleNamespace(world_size=4)
    dm.setup()
    assert dm.batch_size_per_device == 128 and dm.data_train.batch_size == 128


def test_dataset_pickles_without_its_memory_maps(criteo_file: Path, tmp_path: Path) -> None:
    dm = _dm(criteo_file, tmp_path, batch_size=64)
    ds = dm.data_train
    _ = ds[0]
    clone = pickle.loads(pickle.dumps(ds))
    assert len(pickle.dumps(ds)) < 10_000
    torch.testing.assert_close(clone[3], ds[3])


def test_workers_serve_the_same_batches(criteo_file: Path, tmp_path: Path) -> None:
    dm = _dm(criteo_file, tmp_path, batch_size=500, num_workers=2)
    got, _ = _rows(dm.val_dataloader())
    arrays = dm.info.arrays("val")
    np.testing.assert_array_equal(got[:, -1], arrays["label"])


def test_bad_arguments(criteo_file: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fraction must be in"):
        CTRDataModule(path=str(criteo_file), fraction=0.0)
    with pytest.raises(ValueError, match="need split='day'"):
        CTRDataModule(path=str(criteo_file), train_days=[0])
    with pytest.raises(ValueError, match="on_bad_rows='maybe' is not one of"):
        CTRDataModule(path=str(criteo_file), on_bad_rows="maybe")


class _LogReg(L.LightningModule):
    """Smallest CTR model: logistic regression on dense features plus one embedding per field."""

    def __init__(self, num_dense: int, vocab_sizes: list[int]) -> None:
        super().__init__()
        self.dense = torch.nn.Linear(num_dense, 1)
        self.emb = torch.nn.ModuleList(torch.nn.Embedding(v, 1) for v in vocab_sizes)

    def forward(self, batch: dict) -> torch.Tensor:
        sparse = batch["sparse"].long()
        out = self.dense(batch["dense"]).squeeze(1)
        return out + sum(e(sparse[:, j]).squeeze(1) for j, e in enumerate(self.emb))

    def training_step(self, batch: dict, _: int) -> torch.Tensor:
        return torch.nn.functional.binary_cross_entropy_with_logits(self(batch), batch["label"])

    def validation_step(self, batch: dict, _: int) -> None:
        self.log(
            "val/loss", torch.nn.functional.binary_cross_entropy_with_logits(self(batch), batch["label"])
        )

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=0.01)


def test_lightning_fit_runs(criteo_file: Path, tmp_path: Path) -> None:
    dm = CTRDataModule(path=str(criteo_file), cache_dir=str(tmp_path), batch_size=256, progress=True)
    dm.prepare_data()
    dm.setup()
    model = _LogReg(**dm.model_kwargs())
    trainer = L.Trainer(
        max_epochs=1, limit_train_batches=5, limit_val_batches=2, accelerator="cpu", logger=False,
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
    )  # fmt: skip
    trainer.fit(model, datamodule=dm)
    assert trainer.global_step == 5

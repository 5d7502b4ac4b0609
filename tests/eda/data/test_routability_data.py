"""Reader, dataset and DataModule on generated layouts, and the bad cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nasforge.eda.data import (
    DRC_CHANNELS,
    RoutabilityDataModule,
    RoutabilityReader,
    channel_indices,
    normalize_tile,
    write_routability_sample,
)

#: must match the session layout of tests/eda/conftest.py
TILES = (10, 6, 5)


def test_generator_writes_the_circuitnet_layout(layout: Path):
    reader = RoutabilityReader(layout)
    assert reader.clients == ["client0", "client1", "client2"]
    assert [len(reader.tiles[c]) for c in reader.clients] == list(TILES)
    assert reader.num_channels == len(DRC_CHANNELS) and reader.tile_shape == (16, 16)
    features, label = RoutabilityReader.load(reader.tiles["client0"][0])
    assert features.shape == (9, 16, 16) and label.shape == (16, 16)
    assert features.dtype == np.float32


def test_clients_are_non_iid(layout: Path):
    data = RoutabilityDataModule(path=str(layout))
    rates = []
    for client in data.client_names:
        labels = [batch["label"] for batch in data.client_dataloader(client, "train")]
        rates.append(float(np.concatenate([label.numpy().ravel() for label in labels]).mean()))
    assert min(rates) > 0.0 and max(rates) < 0.6
    assert max(rates) - min(rates) > 0.03, f"hotspot rates should differ by client: {rates}"


def test_datamodule_splits_per_client_and_pools(layout: Path):
    data = RoutabilityDataModule(path=str(layout), batch_size=4, channels=["RUDY_long", "cell_density"])
    assert data.model_kwargs() == {"in_channels": 2}
    for client, total in zip(data.client_names, TILES, strict=True):
        sizes = [data.num_examples(client, split) for split in ("train", "val", "test")]
        assert sum(sizes) == total and sizes[0] >= 1
        train = {t.features for t in data.splits[client]["train"]}
        assert not train & {t.features for t in data.splits[client]["test"]}
    batch = next(iter(data.train_dataloader()))
    assert batch["features"].shape == (4, 2, 16, 16)
    assert set(batch["label"].unique().tolist()) <= {0.0, 1.0}
    assert sum(len(b["label"]) for b in data.train_dataloader()) == sum(
        data.num_examples(c) for c in data.client_names
    )
    assert data.source_info()["generated"] is False


def test_missing_layout_is_generated_and_said_so(tmp_path: Path):
    data = RoutabilityDataModule(
        default_path=str(tmp_path / "routability"),
        synthetic_dir=str(tmp_path / "gen"),
        synthetic_tiles=(3, 3),
    )
    data.setup()
    info = data.source_info()
    assert info["generated"] is True and "generated" in info["note"]
    assert data.client_names == ["client0", "client1"]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        RoutabilityDataModule(path=str(tmp_path / "nope")).setup()


def test_normalize_scales_each_channel():
    tile = np.stack([np.full((4, 4), 3.0), np.arange(16.0).reshape(4, 4)]).astype(np.float32)
    out = normalize_tile(tile)
    assert np.all(out[0] == 0) and out[1].min() == 0 and out[1].max() == 1


def test_unknown_channel_names_the_valid_ones():
    with pytest.raises(ValueError, match="macro_region"):
        channel_indices(["RUDY_lng"])


@pytest.fixture
def copy_layout(tmp_path: Path):
    root = tmp_path / "layout"
    write_routability_sample(root, (3, 3), size=8, seed=1)
    return root


def test_client_with_no_samples(copy_layout: Path):
    (copy_layout / "empty" / "features").mkdir(parents=True)
    with pytest.raises(ValueError, match="client 'empty' has no samples"):
        RoutabilityReader(copy_layout)


def test_mismatched_shapes(copy_layout: Path):
    label = next((copy_layout / "client0" / "labels").glob("*.npy"))
    np.save(label, np.zeros((4, 4), dtype=np.float32))
    with pytest.raises(ValueError, match=rf"{label.name}: label shape \(4, 4\) does not match"):
        RoutabilityReader(copy_layout)


def test_mismatched_channels(copy_layout: Path):
    features = next((copy_layout / "client1" / "features").glob("*.npy"))
    np.save(features, np.zeros((8, 8, 5), dtype=np.float32))
    with pytest.raises(ValueError, match="5 channels"):
        RoutabilityReader(copy_layout)


def test_unpaired_tile(copy_layout: Path):
    label = next((copy_layout / "client0" / "labels").glob("*.npy"))
    label.unlink()
    with pytest.raises(ValueError, match="only one of features/ and labels/"):
        RoutabilityReader(copy_layout)


def test_nan_names_the_file(copy_layout: Path):
    path = sorted((copy_layout / "client0" / "features").glob("*.npy"))[0]
    array = np.load(path)
    array[2, 3, 1] = np.nan
    np.save(path, array)
    reader = RoutabilityReader(copy_layout)
    with pytest.raises(ValueError, match=rf"{path.name}: 1 NaN"):
        RoutabilityReader.load(reader.tiles["client0"][0])

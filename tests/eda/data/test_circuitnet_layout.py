"""CircuitNet's flat training set (``feature/``, ``label/``, all designs together): clients from the
file names, the errors, and the generator and DataModule in that layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from nasforge.eda.data import RoutabilityDataModule, RoutabilityReader, write_routability_sample

#: CircuitNet-N28 and ISPD-style (N14) file names, and the family each belongs to by default
NAMES = {
    "1-RISCY-a-1-c2-u0.7-m1-p1-f0.npy": "RISCY",
    "2-RISCY-b-3-c20-u0.9-m3-p3-f1.npy": "RISCY",
    "3-RISCY-FPU-a-1-c2-u0.7-m1-p1-f0.npy": "RISCY-FPU",
    "4-zero-riscy-a-2-c5-u0.8-m2-p2-f0.npy": "zero-riscy",
    "5-zero-riscy-b-3-c20-u0.9-m3-p3-f1.npy": "zero-riscy",
    "399-mgc_superblue12-util_0.9.npy": "superblue",
    "400-mgc_superblue16_a-util_0.7.npy": "superblue",
    "401-mgc_des_perf_1-util_0.8.npy": "des_perf",
}
#: one client per design: what a user sets as data.client_pattern for that grouping
PER_DESIGN = r"^\d+-(?P<client>mgc_[^-]+|.+?-[a-z])-"


def _flat(root: Path, names, channels: int = 9, label_shape: tuple[int, ...] = (8, 8, 1)) -> Path:
    """A hand-written flat layout: float64 features in [0, 1], as CircuitNet ships them."""
    rng = np.random.default_rng(0)
    for sub in ("feature", "label"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for name in names:
        np.save(root / "feature" / name, rng.random((8, 8, channels)))
        np.save(root / "label" / name, rng.random(label_shape))
    return root


def test_flat_layout_groups_design_families(tmp_path: Path):
    reader = RoutabilityReader(_flat(tmp_path, NAMES))
    assert reader.clients == ["RISCY", "RISCY-FPU", "des_perf", "superblue", "zero-riscy"]
    got = {tile.features.name: client for client, tiles in reader.tiles.items() for tile in tiles}
    assert got == NAMES
    assert all(tile.label.parent.name == "label" for tiles in reader.tiles.values() for tile in tiles)
    assert reader.num_channels == 9 and reader.tile_shape == (8, 8)
    features, label = RoutabilityReader.load(reader.tiles["superblue"][0])
    assert features.shape == (9, 8, 8) and label.shape == (8, 8) and features.dtype == np.float32


def test_congestion_task_layout_reads_too(tmp_path: Path):
    """CircuitNet's congestion set: 3 feature maps and [H, W] labels; nothing DRC-specific."""
    reader = RoutabilityReader(_flat(tmp_path, list(NAMES)[:3], channels=3, label_shape=(8, 8)))
    assert reader.clients == ["RISCY", "RISCY-FPU"] and reader.num_channels == 3


def test_client_pattern_one_client_per_design(tmp_path: Path):
    root = _flat(tmp_path, NAMES)
    reader = RoutabilityReader(root, client_pattern=PER_DESIGN)
    assert reader.clients == [
        "RISCY-FPU-a",
        "RISCY-a",
        "RISCY-b",
        "mgc_des_perf_1",
        "mgc_superblue12",
        "mgc_superblue16_a",
        "zero-riscy-a",
        "zero-riscy-b",
    ]
    # without a group named `client`, the first group is the client
    assert RoutabilityReader(root, client_pattern=r"^\d+-([a-zA-Z]+)").clients == ["RISCY", "mgc", "zero"]


def test_clients_select_and_order_flat_clients(tmp_path: Path):
    root = _flat(tmp_path, NAMES)
    reader = RoutabilityReader(root, clients=["zero-riscy", "RISCY"])
    assert reader.clients == ["zero-riscy", "RISCY"] and len(reader.tiles["RISCY"]) == 2
    with pytest.raises(ValueError, match=r"client\(s\) \['RISC'\].*'RISCY-FPU', 'des_perf'"):
        RoutabilityReader(root, clients=["RISCY", "RISC"])


def test_file_name_the_pattern_does_not_match(tmp_path: Path):
    root = _flat(tmp_path, [*NAMES, "tile_0007.npy"])
    with pytest.raises(ValueError, match=r"tile_0007\.npy: the file name does not match data.client_pattern"):
        RoutabilityReader(root)
    with pytest.raises(ValueError, match="has no group"):
        RoutabilityReader(_flat(tmp_path, NAMES), client_pattern=r"^\d+-")


def test_unpaired_flat_files(tmp_path: Path):
    root = _flat(tmp_path, NAMES)
    (root / "label" / "399-mgc_superblue12-util_0.9.npy").unlink()
    with pytest.raises(
        ValueError, match=r"'399-mgc_superblue12-util_0.9.npy'\] exist in only one of feature/"
    ):
        RoutabilityReader(root)


def test_feature_folder_without_label_folder(tmp_path: Path):
    (tmp_path / "feature").mkdir()
    np.save(tmp_path / "feature" / "1-RISCY-a-1-c2-u0.7-m1-p1-f0.npy", np.zeros((8, 8, 9)))
    with pytest.raises(ValueError, match="has feature/ but no label/"):
        RoutabilityReader(tmp_path)


def test_generator_circuitnet_layout_round_trips(tmp_path: Path):
    tiles = (7, 4, 3, 2)
    per_client = write_routability_sample(tmp_path / "clients", tiles, size=8, seed=3)
    names = write_routability_sample(tmp_path / "flat", tiles, size=8, seed=3, layout="circuitnet")
    assert names == ["RISCY", "RISCY-FPU", "zero-riscy", "superblue"]
    assert sorted(p.name for p in (tmp_path / "flat").iterdir()) == ["feature", "label"]
    flat, folders = RoutabilityReader(tmp_path / "flat"), RoutabilityReader(tmp_path / "clients")
    assert flat.clients == sorted(names)
    assert {c: len(flat.tiles[c]) for c in names} == dict(zip(names, tiles, strict=True))
    assert [len(folders.tiles[c]) for c in per_client] == list(tiles)
    assert (flat.num_channels, flat.tile_shape) == (folders.num_channels, folders.tile_shape)
    # several designs per client, float64 features in [0, 1] as CircuitNet ships them
    designs = RoutabilityReader(tmp_path / "flat", client_pattern=PER_DESIGN).clients
    assert designs[:3] == ["RISCY-FPU-a", "RISCY-FPU-b", "RISCY-FPU-c"] and len(designs) == 11
    assert {"mgc_superblue_a", "mgc_superblue_b", "zero-riscy-c"} <= set(designs)
    array = np.load(flat.tiles["superblue"][0].features)
    assert array.dtype == np.float64 and array.min() >= 0 and array.max() <= 1
    with pytest.raises(ValueError, match="layout must be one of"):
        write_routability_sample(tmp_path / "bad", tiles, layout="flat")
    with pytest.raises(ValueError, match="at most 9 clients"):
        write_routability_sample(tmp_path / "bad", (1,) * 10, layout="circuitnet")


def test_datamodule_generates_and_reads_the_circuitnet_layout(tmp_path: Path):
    def data(layout: str) -> RoutabilityDataModule:
        return RoutabilityDataModule(
            default_path=str(tmp_path / "routability"),
            synthetic_dir=str(tmp_path / "gen"),
            synthetic_tiles=(4, 3),
            synthetic_size=8,
            synthetic_layout=layout,
            batch_size=2,
        )

    flat = data("circuitnet")
    assert flat.client_names == ["RISCY", "RISCY-FPU"]
    splits = ("train", "val", "test")
    assert [sum(flat.num_examples(c, s) for s in splits) for c in flat.client_names] == [4, 3]
    batch = next(iter(flat.train_dataloader()))
    assert batch["features"].shape == (2, 9, 8, 8)
    assert data("clients").client_names == ["client0", "client1"]
    folders = sorted(p.name for p in (tmp_path / "gen").iterdir())
    assert len(folders) == 2 and "circuitnet" in folders[0] and "clients" in folders[1]
    assert (tmp_path / "gen" / folders[0] / "feature").is_dir()
    per_design = RoutabilityDataModule(path=flat.source_info()["path"], client_pattern=PER_DESIGN)
    assert per_design.client_names == [
        "RISCY-FPU-a",
        "RISCY-FPU-b",
        "RISCY-FPU-c",
        "RISCY-a",
        "RISCY-b",
        "RISCY-c",
    ]


def test_the_congestion_task_reads_its_three_maps_and_refuses_drc_tiles(tmp_path: Path):
    def data(task: str, path: str | None = None) -> RoutabilityDataModule:
        return RoutabilityDataModule(
            path=path,
            default_path=str(tmp_path / "routability"),
            synthetic_dir=str(tmp_path / "gen"),
            synthetic_tiles=(6, 4),
            synthetic_size=8,
            synthetic_layout="circuitnet",
            task=task,
            batch_size=2,
        )

    congestion = data("congestion")
    batch = next(iter(congestion.train_dataloader()))
    assert batch["features"].shape == (2, 3, 8, 8)
    assert congestion.model_kwargs() == {"in_channels": 3}
    assert congestion.channels == ["macro_region", "RUDY", "RUDY_pin"]
    hotspots = torch.cat([b["label"].flatten() for b in congestion.train_dataloader()])
    assert 0.05 < hotspots.float().mean() < 0.5  # a minority of overflow hotspots, as in real maps
    drc_path = data("drc").source_info()["path"]
    with pytest.raises(ValueError, match=r"stacks 9 channels, but the congestion task has 3 .*data.task"):
        data("congestion", drc_path).setup()
    with pytest.raises(ValueError, match=r"Unknown routability task 'timing'.*'drc', 'congestion'"):
        data("timing")

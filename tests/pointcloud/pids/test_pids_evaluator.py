"""PIDSProxyTrainer: labels are a deterministic function of the architecture, with their costs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nasforge.pointcloud.data import S3DISDataModule
from nasforge.pointcloud.pids import PIDSProxyTrainer, pids_space


@pytest.fixture(scope="module")
def datamodule(tmp_path_factory: pytest.TempPathFactory) -> S3DISDataModule:
    folder: Path = tmp_path_factory.mktemp("s3dis")
    dm = S3DISDataModule(
        synthetic_dir=str(folder / "generated"), cache_dir=str(folder / "cache"), synthetic_rooms_per_area=2,
        grid=0.1, radius=2.0, max_points=1024, train_regions=8, val_regions=4, batch_size=2,
    )  # fmt: skip
    dm.prepare_data()
    dm.setup("fit")
    return dm


def test_a_label_is_the_same_every_time_and_comes_with_its_costs(datamodule):
    space = pids_space("quick")
    arch = space.sample(np.random.default_rng(0))
    evaluator = PIDSProxyTrainer(
        space, datamodule, steps=3, eval_batches=2, bn_recalibration_batches=1, device="cpu"
    )
    first, again = evaluator(arch), evaluator(arch)
    assert first == again
    assert set(first) == {"miou", "oa", "loss", "flops", "params"}
    assert 0.0 <= first["miou"] <= 100.0 and first["flops"] > 0
    assert evaluator.cost(arch) == {"flops": first["flops"], "params": first["params"]}
    wider = space.mutate(arch, np.random.default_rng(1), num_mutations=6)
    assert evaluator.cost(wider) != evaluator.cost(arch)


def test_adam_labels_are_deterministic_and_differ_from_sgd_labels(datamodule):
    space = pids_space("quick")
    arch = space.sample(np.random.default_rng(0))
    kwargs = dict(steps=3, lr=0.01, eval_batches=2, bn_recalibration_batches=0, device="cpu")
    adam = PIDSProxyTrainer(space, datamodule, optimizer="adam", **kwargs)
    sgd = PIDSProxyTrainer(space, datamodule, optimizer="sgd", **kwargs)
    assert adam(arch) == adam(arch)
    assert adam(arch)["loss"] != sgd(arch)["loss"]


def test_bad_schedules_are_refused(datamodule):
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        PIDSProxyTrainer(pids_space("quick"), datamodule, steps=0)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        PIDSProxyTrainer(pids_space("quick"), datamodule, optimizer="rmsprop")

"""Per-training seeds: a function of the run seed and the trained subject only."""

from __future__ import annotations

import torch
from omegaconf import OmegaConf

from nasforge.core.arch import Arch
from nasforge.pipeline.seeding import seed_training, training_seed, training_subject


def test_a_training_seed_depends_on_the_run_seed_and_the_subject_only():
    assert training_seed(7, "arch:abc") == training_seed(7, "arch:abc")
    assert (
        len({training_seed(7, "arch:abc"), training_seed(8, "arch:abc"), training_seed(7, "arch:abd")}) == 3
    )
    assert 0 <= training_seed(7, "stage:train") < 2**31


def test_an_architecture_file_names_the_subject_by_its_hash_wherever_it_lies(tmp_path):
    arch = Arch("toy", 1, {"blocks": [1, 2]})
    for name in ("best_arch.json", "retrain/0-x/arch.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        arch.save(tmp_path / name)
    subjects = {
        training_subject(OmegaConf.create({"arch": str(tmp_path / n)}), "x")
        for n in ("best_arch.json", "retrain/0-x/arch.json")
    }
    assert subjects == {f"arch:{arch.hash}"}
    assert training_subject(OmegaConf.create({"net": {}}), "stage:train") == "stage:train"


def test_seeding_a_training_resets_the_generators_whatever_ran_before():
    cfg = OmegaConf.create({"seed": 3})
    seed_training(cfg, "stage:train")
    first = torch.rand(3)
    torch.rand(100)
    seed_training(cfg, "stage:train")
    assert torch.equal(torch.rand(3), first)

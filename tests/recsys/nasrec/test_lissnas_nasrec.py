"""LISSNAS on the NASRec space: a distance for neighbourhoods, a supernet trained on a shrunk space's
paths only, and a one-shot search inside it that hands on NASRec architectures."""

from __future__ import annotations

import json
from pathlib import Path

import hydra
import numpy as np
import pytest

from nasforge.core.arch import Arch
from nasforge.core.history import History
from nasforge.core.search.subspace import ShrunkSpace, load_subspace
from nasforge.pipeline import run
from nasforge.recsys.nasrec.block_path import path_from_arch
from nasforge.recsys.nasrec.samplers import SingleOperatorAnyConnection, SinglePath
from nasforge.recsys.nasrec.space import NASRecSpace


@pytest.fixture
def space() -> NASRecSpace:
    return NASRecSpace(num_blocks=4, dense_widths=[16, 32, 64], sparse_widths=[8, 16])


def test_distance_counts_the_genes_that_differ(space):
    rng = np.random.default_rng(0)
    a = space.sample(rng)
    b = space.mutate(a, rng, 1)
    assert space.distance(a, a) == 0
    assert space.distance(a, b) == space.distance(b, a) >= 1
    far = [space.distance(a, space.sample(rng)) for _ in range(20)]
    assert np.mean(far) > space.distance(a, b)


def test_a_sampler_restricted_to_a_shrunk_space_trains_only_its_paths(space, tmp_path):
    rng = np.random.default_rng(1)
    shrunk = ShrunkSpace(space, [space.sample(rng)], radius=3)
    path = shrunk.save(tmp_path / "shrunk.json")
    sampler = SingleOperatorAnyConnection(space, seed=0, space_file=str(path))
    draws = np.random.default_rng(2)
    for _ in range(20):
        arch = sampler.architecture(draws)
        assert arch.space == space.name and shrunk.contains(arch)
    assert sampler.sample(np.random.default_rng(3)) == path_from_arch(
        sampler.architecture(np.random.default_rng(3))
    )
    assert sampler.full() is None  # the full path lies outside the shrunk space: no warm-up
    with pytest.raises(ValueError, match="warm-up"):
        SingleOperatorAnyConnection(space, warmup_steps=5, space_file=str(path))
    with pytest.raises(ValueError, match="cannot be restricted"):
        SinglePath(space, space_file=str(path))


def test_lissnas_nasrec_searches_a_supernet_of_the_shrunk_space(compose_train):
    cfg = compose_train(["experiment=lissnas_nasrec_criteo", "trainer.fast_dev_run=true"])
    metrics = run(cfg)
    out = Path(cfg.paths.output_dir)
    space = hydra.utils.instantiate(cfg.space)
    shrunk = load_subspace(out / "shrink" / "shrunk_space.json", space)
    assert (out / "supernet.pt").is_file() and (out / "supernet_shrunk.pt").is_file()
    history = History(out / "history.jsonl")
    assert all(e.arch.space == shrunk.name for e in history)
    # handed on as architectures of the full space: the canonical forms of evaluated ones
    handed_on = [Arch.from_dict(c["arch"]) for c in json.loads((out / "top_k.json").read_text())["top_k"]]
    evaluated = {space.canonical(shrunk.to_parent(e.arch)) for e in history}
    assert handed_on and all(a.space == space.name and a in evaluated for a in handed_on)
    space.validate(Arch.load(out / "best_arch.json"))
    assert {"test/auc", "test/logloss"} <= set(metrics)

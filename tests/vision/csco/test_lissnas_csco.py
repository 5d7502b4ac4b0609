"""LISSNAS on the CSCO space: the shrunk space is searched, its best architectures retrain as CSCO's."""

from __future__ import annotations

import json
from pathlib import Path

import hydra

from nasforge.core.arch import Arch
from nasforge.core.history import History
from nasforge.core.search.subspace import ShrunkSpace, load_subspace
from nasforge.pipeline import run


def test_lissnas_csco_searches_inside_the_shrunk_space_and_retrains_csco_architectures(compose_train):
    cfg = compose_train(["experiment=lissnas_csco_cifar10", "trainer.fast_dev_run=true"])
    metrics = run(cfg)
    out = Path(cfg.paths.output_dir)
    space = hydra.utils.instantiate(cfg.space)
    shrunk = load_subspace(out / "shrink" / "shrunk_space.json", space)
    assert isinstance(shrunk, ShrunkSpace) and shrunk.name != space.name
    assert len(History(out / "shrink" / "history.jsonl")) == metrics["shrink/evaluations"]
    searched = History(out / "search" / "metropolis_hastings_evolution" / "history.jsonl")
    assert all(e.arch.space == shrunk.name for e in searched)
    handed_on = [Arch.from_dict(c["arch"]) for c in json.loads((out / "top_k.json").read_text())["top_k"]]
    assert all(a.space == space.name and shrunk.contains(a) for a in handed_on)
    best = Arch.load(out / "best_arch.json")
    space.validate(best)  # a CSCO architecture: csco_cifar10_child retrains it
    assert "test/acc" in metrics

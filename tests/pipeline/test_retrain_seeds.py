"""The retrain stage with several trainings per candidate and best-labelled candidates: the choice
follows the mean over seeds, not one lucky training."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from nasforge.core import Arch, History
from nasforge.pipeline import Candidate, LabelsResult, RunContext, SearchResult
from nasforge.stages import RetrainStage
from nasforge.stages import retrain as retrain_module

#: best validation accuracy of each architecture's training at run seed 100 + k (the run's own: 100)
VAL_ACC = {
    "lucky": [0.95, 0.50, 0.50],  # the best single training, a mean of 0.65
    "steady": [0.80, 0.82, 0.84],  # never the best single training, the best mean
    "labelled": [0.60, 0.60, 0.61],
}
#: near-OOD AUROC of the same trainings on the validation set, at their best checkpoints
VAL_AUROC = {"lucky": [90.0, 80.0, 80.0], "steady": [70.0, 72.0, 74.0], "labelled": [60.0, 60.0, 60.0]}


def _arch(name: str) -> Arch:
    return Arch("toy", 1, {"name": name})


class FakeTrainings:
    """Stands in for the child trainings: records which architecture ran at which seed, in which
    folder, and returns :data:`VAL_ACC` as its validation accuracy and twice it as test accuracy."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int | None, Path]] = []

    def __call__(self, context, child_key, arch, folder, label, record, test=False, reuse=None, seed=None):
        name = arch.genes["name"]
        self.calls.append((name, seed, folder))
        folder.mkdir(parents=True, exist_ok=True)
        arch.save(folder / "arch.json")
        acc = VAL_ACC[name][0 if seed is None else seed - 100]
        metrics = {"val/acc_best": acc, **({"test/acc": 2 * acc} if test else {})}
        return {
            **record,
            "arch": arch.hash,
            "arch_file": str(folder / "arch.json"),
            "folder": str(folder),
            "best_checkpoint": "",
            "monitor": "acc",
            "monitor_mode": "max",
            "metrics": metrics,
        }


@pytest.fixture
def fake_trainings(monkeypatch) -> FakeTrainings:
    fake = FakeTrainings()
    monkeypatch.setattr(retrain_module, "train_child", fake)
    monkeypatch.setattr(RetrainStage, "_evaluate", _evaluate)
    return fake


def _evaluate(self, context, run, split):
    """Test accuracy twice the validation accuracy; validation AUROC from :data:`VAL_AUROC`."""
    if split == "test":
        return {"test/acc": 2 * run["metrics"]["val/acc_best"]}
    name, folder = Arch.load(run["arch_file"]).genes["name"], Path(run["folder"]).name
    return {
        "val/auroc": VAL_AUROC[name][int(folder.removeprefix("seed-")) if folder.startswith("seed-") else 0]
    }


@pytest.fixture
def context(tmp_path: Path) -> RunContext:
    context = RunContext(cfg=OmegaConf.create({"seed": 100}), output_dir=tmp_path)
    searched = (Candidate(_arch("lucky"), {"flops": 1.0}), Candidate(_arch("steady"), {"flops": 2.0}))
    context.results["search"] = SearchResult(metrics={}, history="", top_k=searched)
    history = History(tmp_path / "labels.jsonl")
    history.record(_arch("labelled"), {"acc": 0.9, "flops": 3.0})
    history.record(_arch("steady"), {"acc": 0.8, "flops": 2.0})  # proposed by the search too
    context.results["labels"] = LabelsResult(metrics={}, history=str(history.path))
    return context


def test_candidates_are_compared_on_their_mean_over_seeds(context, fake_trainings):
    result = RetrainStage(top_k=2, seeds=3).run(context)
    assert {(name, seed) for name, seed, _ in fake_trainings.calls} == {
        (name, 100 + k) for name in ("lucky", "steady") for k in range(3)
    }
    assert all(folder.name == f"seed-{seed - 100}" for _, seed, folder in fake_trainings.calls)
    assert Arch.load(context.output_dir / "best_arch.json").genes["name"] == "steady"
    metrics = result.metrics
    assert metrics["retrain/best_rank"] == 1
    assert metrics["retrain/0/val_acc"] == pytest.approx(0.65)
    assert metrics["retrain/1/val_acc"] == pytest.approx(0.82)
    assert metrics["retrain/1/val_acc_std"] == pytest.approx(0.01633, abs=1e-4)
    assert metrics["test/acc"] == pytest.approx(1.64)  # the mean of the chosen one's three tests
    assert metrics["test/acc_std"] == pytest.approx(2 * 0.01633, abs=1e-4)
    assert len(result.candidates[1]["seeds"]) == 3


def test_one_seed_keeps_one_training_per_candidate_in_its_own_folder(context, fake_trainings):
    result = RetrainStage(top_k=2).run(context)
    assert [(name, seed, folder.name) for name, seed, folder in fake_trainings.calls] == [
        ("lucky", None, f"0-{_arch('lucky').hash}"),
        ("steady", None, f"1-{_arch('steady').hash}"),
    ]
    # a training at the run seed: the first of VAL_ACC's columns, where "lucky" wins
    assert result.metrics["retrain/best_rank"] == 0
    assert "val/acc_best_std" not in result.metrics


def test_best_labelled_architectures_the_search_missed_join_the_candidates(context, fake_trainings):
    stage = RetrainStage(top_k=1, seeds=3, labelled_stage="labels", labelled_candidates=2)
    result = stage.run(context)
    trained = [name for name, _, _ in fake_trainings.calls]
    # the search's top 1 ("lucky"), then the labels' best two, "labelled" and "steady"
    assert trained == ["lucky"] * 3 + ["labelled"] * 3 + ["steady"] * 3
    assert [c["source"] for c in result.candidates] == ["search", "labels", "labels"]
    assert Arch.load(context.output_dir / "best_arch.json").genes["name"] == "steady"
    assert result.metrics["best/flops"] == 2.0  # the costs its label measured
    # the best-labelled architecture was a candidate: reported from those trainings, not trained again
    assert result.metrics["best_labelled/val/acc_best"] == pytest.approx(0.6033, abs=1e-4)
    assert result.metrics["best_labelled/test/acc"] == pytest.approx(2 * 0.6033, abs=1e-4)
    assert json.loads((context.output_dir / "best_arch.json").read_text())["genes"] == {"name": "steady"}


def test_a_labelled_architecture_the_search_proposed_is_not_trained_twice(context, fake_trainings):
    RetrainStage(top_k=2, seeds=3, labelled_stage="labels", labelled_candidates=2).run(context)
    trained = [name for name, _, _ in fake_trainings.calls]
    assert trained == ["lucky"] * 3 + ["steady"] * 3 + ["labelled"] * 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seeds": 0}, "seeds must be at least 1"),
        ({"labelled_candidates": 1}, "above 0 needs labelled_stage"),
        ({"labelled_candidates": -1, "labelled_stage": "labels"}, "non-negative"),
        ({"select": "val/auroc", "select_mode": "highest"}, "highest"),
    ],
)
def test_invalid_retraining_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RetrainStage(**kwargs)


def test_candidates_can_be_compared_on_another_validation_metric_at_their_checkpoints(
    context, fake_trainings
):
    result = RetrainStage(top_k=2, seeds=3, select="val/auroc").run(context)
    # "lucky" is the worse on mean ID accuracy (0.65 against 0.82) but the better on AUROC (83.3 against 72)
    assert Arch.load(context.output_dir / "best_arch.json").genes["name"] == "lucky"
    assert result.metrics["retrain/0/val_auroc_at_checkpoint"] == pytest.approx(83.333, abs=1e-3)
    assert result.metrics["retrain/1/val_auroc_at_checkpoint_std"] == pytest.approx(1.633, abs=1e-3)
    assert result.metrics["retrain/1/val_acc"] == pytest.approx(0.82)


def test_a_selection_metric_the_child_does_not_log_is_named_with_those_it_does(context, fake_trainings):
    with pytest.raises(KeyError, match=r"select='val/aupr' is not a validation metric .* \['val/auroc'\]"):
        RetrainStage(top_k=1, select="val/aupr").run(context)

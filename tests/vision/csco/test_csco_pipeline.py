"""CSCO's stages: proxy-trained labels, predictors with isomorphism augmentation, predictor search."""

from __future__ import annotations

import json
from functools import partial
from itertools import pairwise
from pathlib import Path

import hydra
import numpy as np
import pytest
import torch

from nasforge.core import Arch, History, count_flops
from nasforge.core.predictors import ArchPredictor, PredictedScore
from nasforge.core.search import MetropolisHastingsEvolution, RandomSearch, RegularizedEvolution
from nasforge.core.training import TrainingDivergedError
from nasforge.pipeline import PredictorResult, RunContext, run
from nasforge.stages import GroundTruthStage, PredictorSearchStage, PredictorStage
from nasforge.stages.predictor import isomorphic_copies
from nasforge.vision.csco import CSCOSpace, ProxyTrainer

SMALL = {"num_nodes": 5, "max_edges": 6, "stages": [[8, 1, 1, 1], [16, 1, 2, 2]]}


@pytest.fixture
def cifar_context(compose_train, tmp_path: Path) -> RunContext:
    cfg = compose_train(["experiment=csco_cifar10"])
    return RunContext(cfg=cfg, output_dir=tmp_path / "run")


@pytest.fixture
def datamodule(cifar_context: RunContext):
    module = hydra.utils.instantiate(cifar_context.cfg.data)
    module.prepare_data()
    module.setup("fit")
    return module


class WiringScore:
    """A stand-in for proxy training: accuracy grows with the edges of stage 0, FLOPs with all edges.

    Counts its calls, so a test can tell what was evaluated again.
    """

    def __init__(self, space: CSCOSpace, datamodule: object) -> None:
        self.space, self.calls = space, 0

    def __call__(self, arch) -> dict[str, float]:
        self.calls += 1
        stages = arch.genes["stages"]
        first = len(stages[0]["edges"])
        total = sum(len(s["edges"]) for s in stages)
        return {"acc": 0.2 + 0.1 * first + 0.01 * (total - first), **self.cost(arch)}

    def cost(self, arch) -> dict[str, float]:
        total = sum(len(s["edges"]) for s in arch.genes["stages"])
        return {"flops": 1e6 * (1 + total), "params": 1e3 * (1 + total)}


def test_proxy_trainer_is_deterministic_and_measures_costs(datamodule):
    space = CSCOSpace(**SMALL)
    trainer = ProxyTrainer(space, datamodule, steps=2, eval_batches=1, device="cpu")
    arch = space.sample(np.random.default_rng(3))
    first, second = trainer(arch), trainer(arch)
    assert first == second
    assert 0.0 <= first["acc"] <= 1.0 and np.isfinite(first["loss"])
    net = trainer.build(arch)
    assert first["flops"] == count_flops(net, torch.zeros(1, 3, 32, 32))
    assert trainer.cost(arch) == {"flops": first["flops"], "params": first["params"]}


def test_proxy_trainer_rejects_bad_schedules(datamodule):
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        ProxyTrainer(CSCOSpace(**SMALL), datamodule, steps=0)
    with pytest.raises(ValueError, match="lr must be positive"):
        ProxyTrainer(CSCOSpace(**SMALL), datamodule, lr=0.0)
    with pytest.raises(ValueError, match="warmup_steps must be a non-negative integer"):
        ProxyTrainer(CSCOSpace(**SMALL), datamodule, warmup_steps=-1)


def test_proxy_learning_rate_warms_up_linearly_then_follows_a_cosine_to_zero(datamodule):
    trainer = ProxyTrainer(CSCOSpace(**SMALL), datamodule, steps=20, lr=0.1, warmup_steps=4)
    rates = [trainer.learning_rate(step, 20) for step in range(20)]
    assert rates[:5] == pytest.approx([0.02, 0.04, 0.06, 0.08, 0.1])
    assert all(a > b > 0 for a, b in pairwise(rates[4:]))  # cosine, not yet at 0


def test_batch_norm_recalibration_replaces_stale_statistics_by_the_training_images(datamodule):
    space = CSCOSpace(**SMALL)
    trainer = ProxyTrainer(space, datamodule, steps=1, bn_recalibration_batches=1, device="cpu")
    net = trainer.build(space.sample(np.random.default_rng(0)))
    norm = next(m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d))
    norm.running_mean.fill_(100.0)  # what a short run leaves: statistics of another network
    seen = []
    norm.register_forward_hook(lambda module, inputs, output: seen.append(inputs[0].detach()))
    torch.manual_seed(0)
    trainer._recalibrate_batch_norm(net)
    assert len(seen) == 1 and norm.momentum == 0.1  # one batch; the momentum is given back
    assert torch.allclose(norm.running_mean, seen[0].mean(dim=(0, 2, 3)), atol=1e-5)


def test_ground_truth_resumes_without_repeating_or_losing_labels(cifar_context):
    space = CSCOSpace(**SMALL)
    made: list[WiringScore] = []

    def evaluator(space, datamodule):
        made.append(WiringScore(space, datamodule))
        return made[-1]

    GroundTruthStage(space, evaluator, num_samples=3, progress=False).run(cifar_context)
    history = cifar_context.output_dir / "history.jsonl"
    first_three = [e.hash for e in History(history).entries]
    result = GroundTruthStage(space, evaluator, num_samples=5, progress=False).run(cifar_context)
    assert [made[0].calls, made[1].calls] == [3, 2]
    entries = History(history).entries
    assert [e.hash for e in entries[:3]] == first_three
    assert len({e.hash for e in entries}) == 5
    assert result.metrics["ground_truth/samples"] == 5
    assert result.history == str(history)
    assert (cifar_context.output_dir / "ground_truth.png").is_file()


def test_isomorphic_copies_keep_labels_and_never_repeat():
    # sparse 9-node cells: nodes 0/4/8 and 1/5 share operations, so relabellings exist
    space = CSCOSpace(num_nodes=9, max_edges=4, stages=[[8, 1, 1, 1]])
    archs = [space.sample(np.random.default_rng(seed)) for seed in range(4)]
    augmented, labels = isomorphic_copies(space, archs, [0.1, 0.2, 0.3, 0.4])
    assert augmented[:4] == archs and len(augmented) == len(set(augmented)) > 4
    for arch, label in zip(augmented[4:], labels[4:], strict=True):
        originals = [a for a in archs if arch in space.isomorphic_variants(a)]
        assert originals and label == [0.1, 0.2, 0.3, 0.4][archs.index(originals[0])]
    capped, _ = isomorphic_copies(space, archs, [0.1, 0.2, 0.3, 0.4], limit=1)
    assert len(capped) <= 8

    class NoVariants:
        pass

    with pytest.raises(TypeError, match="isomorphism_augmentation=false"):
        isomorphic_copies(NoVariants(), archs, [0.0] * 4)


def _labelled_run(context: RunContext, space: CSCOSpace, num_samples: int) -> None:
    stage = GroundTruthStage(space, WiringScore, num_samples=num_samples, progress=False)
    context.results["ground_truth"] = stage.run(context)


def test_predictor_stage_learns_the_wiring_and_saves_its_predictors(cifar_context):
    space = CSCOSpace(**SMALL)
    _labelled_run(cifar_context, space, 60)
    predictor = partial(ArchPredictor, kind="mlp", epochs=150)
    result = PredictorStage(space, predictor, holdout_fraction=0.25).run(cifar_context)
    metrics = result.metrics
    assert metrics["predictor/held_out"] == 15
    assert metrics["predictor/quality_kendall_tau"] > 0.5
    assert metrics["predictor/cost_kendall_tau"] > 0.5
    assert "predictor/quality_kendall_tau_no_augmentation" in metrics
    assert Path(result.predictor).is_file() and Path(result.cost_predictor).is_file()
    assert (cifar_context.output_dir / "predictor_fit.png").is_file()
    entries = History(cifar_context.output_dir / "history.jsonl").entries
    assert result.cost_median == pytest.approx(float(np.median([e.metrics["flops"] for e in entries])))


def test_predictor_stage_compares_kinds_and_warm_starts_from_the_cost_predictor(cifar_context, monkeypatch):
    space = CSCOSpace(**SMALL)
    _labelled_run(cifar_context, space, 40)
    warm_starts = []
    fit = ArchPredictor.fit

    def recording_fit(self, archs, targets, init_from=None):
        warm_starts.append((self.target_transform, init_from is not None and init_from.target_transform))
        return fit(self, archs, targets, init_from=init_from)

    monkeypatch.setattr(ArchPredictor, "fit", recording_fit)
    predictor = partial(ArchPredictor, kind="mlp", epochs=40)
    stage = PredictorStage(space, predictor, holdout_fraction=0.25, compare=["gnn"], init_from_cost=True)
    metrics = stage.run(cifar_context).metrics
    keys = ("compare/gnn/kendall_tau", "compare/gnn/pearson", "quality_kendall_tau_no_init")
    keys += ("quality_pearson",)
    for key in keys:
        assert -1.0 <= metrics[f"predictor/{key}"] <= 1.0
    # the held-out and the final quality predictors start from the cost predictors ("log" targets)
    assert warm_starts.count((None, "log")) == 2
    assert all(init in (False, "log") for _, init in warm_starts)


def test_predictor_stage_needs_labels(cifar_context):
    with pytest.raises(RuntimeError, match="No stage named 'ground_truth' has finished"):
        PredictorStage(CSCOSpace(**SMALL), predictor=None).run(cifar_context)


class FunctionPredictor:
    """Predicts a known function of the architecture, so the objective is known exactly."""

    def __init__(self, function) -> None:
        self.function = function

    def predict(self, archs):
        return np.array([self.function(a) for a in archs])


def test_predicted_score_penalises_cost_over_budget():
    space = CSCOSpace(**SMALL)
    cheap, dear = space.sample(np.random.default_rng(0)), space.sample(np.random.default_rng(1))
    quality = FunctionPredictor(lambda a: {cheap.hash: 0.5, dear.hash: -0.1}[a.hash])
    cost = FunctionPredictor(lambda a: {cheap.hash: 1e6, dear.hash: 4e6}[a.hash])
    score = PredictedScore(quality, cost, cost_budget=2e6, alpha=-0.5)
    assert score(cheap)["score"] == pytest.approx(0.5)
    dear_metrics = score(dear)
    assert dear_metrics["score"] == 0.0 and dear_metrics["predicted_flops"] == 4e6


def _exact_predictors(context: RunContext, space: CSCOSpace, monkeypatch, cost_median: float) -> WiringScore:
    """A predictor stage's result whose predictors are :class:`WiringScore` itself, which is returned."""
    context.results["predictor"] = PredictorResult(
        predictor="q.pt", cost_predictor="c.pt", cost_median=cost_median
    )
    truth = WiringScore(space, None)
    loaded = {
        "q.pt": FunctionPredictor(lambda a: truth(a)["acc"]),
        "c.pt": FunctionPredictor(lambda a: truth.cost(a)["flops"]),
    }
    monkeypatch.setattr(
        "nasforge.stages.predictor_search.ArchPredictor.load", lambda path, space: loaded[str(path)]
    )
    return truth


def test_predictor_search_compares_strategies_and_hands_over_the_best(cifar_context, monkeypatch):
    space = CSCOSpace(**SMALL)
    _labelled_run(cifar_context, space, 8)
    _exact_predictors(cifar_context, space, monkeypatch, cost_median=5e6)
    strategy = MetropolisHastingsEvolution(initial_samples=6, proposals_per_round=4)
    stage = PredictorSearchStage(
        space,
        strategy,
        budget=46,
        baselines={
            "regularized_evolution": RegularizedEvolution(population_size=6, sample_size=3),
            "random_search": RandomSearch(),
        },
        top_k=2,
        evaluator=WiringScore,
        progress=False,
    )
    result = stage.run(cifar_context)
    out = cifar_context.output_dir
    for name in ("metropolis_hastings_evolution", "regularized_evolution", "random_search"):
        assert len(History(out / "search" / name / "history.jsonl")) == 46
        assert f"search/{name}/best_score" in result.metrics
    assert (out / "search_comparison.png").is_file() and (out / "search_trajectory.png").is_file()
    best = result.top_k[0].metrics
    assert best["score"] >= result.top_k[1].metrics["score"]
    assert result.history == str(out / "search" / "metropolis_hastings_evolution" / "history.jsonl")
    assert {"flops", "params", "predicted_acc", "predicted_flops"} <= set(best)
    assert result.metrics["search/cost_budget"] == 5e6


def test_a_trust_radius_keeps_every_search_near_the_labels(cifar_context, monkeypatch):
    """The predictor rewards edges without bound; within the radius no search strays beyond it."""
    space = CSCOSpace(**SMALL)
    _labelled_run(cifar_context, space, 4)
    truth = _exact_predictors(cifar_context, space, monkeypatch, cost_median=1e12)
    labelled = [e.arch for e in History(cifar_context.output_dir / "history.jsonl").entries]
    stage = PredictorSearchStage(
        space,
        MetropolisHastingsEvolution(initial_samples=4, proposals_per_round=4),
        budget=40,
        baselines={"random_search": RandomSearch()},
        trust_radius=2,
        labels_stage="ground_truth",
        progress=False,
    )
    result = stage.run(cifar_context)
    for name in ("metropolis_hastings_evolution", "random_search"):
        for entry in History(cifar_context.output_dir / "search" / name / "history.jsonl").entries:
            searched = Arch.from_frozen(space.name, space.version, entry.arch.genes)
            assert min(space.distance(searched, arch) for arch in labelled) <= 2
    best = result.top_k[0].arch
    assert best.space == space.name and min(space.distance(best, arch) for arch in labelled) <= 2
    assert max(truth(a)["acc"] for a in labelled) <= result.top_k[0].metrics["score"]
    with pytest.raises(ValueError, match="a trust_radius needs labels_stage"):
        PredictorSearchStage(space, RandomSearch(), budget=4, trust_radius=2)


def test_predictor_search_rejects_a_baseline_that_is_not_a_strategy():
    with pytest.raises(TypeError, match="not a search strategy"):
        PredictorSearchStage(CSCOSpace(**SMALL), RandomSearch(), budget=4, baselines={"x": {"seed": 0}})


class ChanceScore(WiringScore):
    """Proxy training that never learns: every architecture at chance accuracy, whatever the seed."""

    def __init__(self, space: CSCOSpace, datamodule: object, seed: int = 0) -> None:
        super().__init__(space, datamodule)

    def __call__(self, arch) -> dict[str, float]:
        return {**super().__call__(arch), "acc": 0.1}


def test_labels_at_chance_are_reported_and_their_predictor_tau_is_undefined(cifar_context, caplog):
    space = CSCOSpace(**SMALL)
    stage = GroundTruthStage(space, ChanceScore, num_samples=12, repeats=2, progress=False)
    cifar_context.results["ground_truth"] = result = stage.run(cifar_context)
    assert result.metrics["ground_truth/labels/at_chance_share"] == 1.0  # CIFAR-10: chance is 0.1
    assert any("more steps or a lower rate" in p for p in result.metrics["ground_truth/labels/problems"])
    assert "LABELS LOOK LIKE NOISE" in caplog.text
    assert len(History(cifar_context.output_dir / "repeats.jsonl")) == 2
    predictor = partial(ArchPredictor, kind="mlp", epochs=5)
    metrics = (
        PredictorStage(space, predictor, holdout_fraction=0.25, isomorphism_augmentation=False)
        .run(cifar_context)
        .metrics
    )
    assert metrics["predictor/quality_kendall_tau"] is None
    assert "all 3 true values are tied" in metrics["predictor/quality_kendall_tau_undefined"]
    assert metrics["predictor/cost_kendall_tau"] is not None


@pytest.mark.parametrize(
    ("experiment", "profile", "epochs"),
    [("csco_cifar10", "quick", 3), ("csco_cifar10", "published", 200), ("csco_imagenet", "published", 250)],
)
def test_a_forced_profile_is_the_whole_profile_whatever_the_data(
    compose_train, tmp_path, experiment, profile, epochs
):
    cfg = compose_train([f"experiment={experiment}", f"profile={profile}", f"data.path={tmp_path}"])
    assert cfg.csco.profile == profile
    assert cfg.trainer.max_epochs == epochs  # the retrained architectures follow the profile, not the data


def test_the_best_labelled_architecture_is_retrained_and_tested_beside_the_searched_ones(compose_train):
    cfg = compose_train(["experiment=csco_cifar10", "trainer.fast_dev_run=true", "logger=csv"])
    metrics = run(cfg)
    out = Path(cfg.paths.output_dir)
    best_labelled = History(out / "history.jsonl").best("acc", "max")
    chosen = json.loads((out / "stages" / "retrain.json").read_text())["candidates"]
    if best_labelled.hash not in {c["arch"] for c in chosen}:
        assert (out / "retrain" / f"labelled-{best_labelled.hash}" / "arch.json").is_file()
    assert 0.0 <= metrics["best_labelled/test/acc"] <= 1.0
    assert 0.0 <= metrics["test/acc"] <= 1.0


def test_proxy_training_stops_when_its_loss_diverges(datamodule):
    space = CSCOSpace(**SMALL)
    trainer = ProxyTrainer(space, datamodule, steps=6, eval_batches=1, device="cpu", lr=1e12)
    with pytest.raises(TrainingDivergedError, match=r"Proxy training: the training loss is \w+ at step \d"):
        trainer(space.sample(np.random.default_rng(3)))

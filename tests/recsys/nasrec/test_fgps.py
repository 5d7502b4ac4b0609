"""FGPS on NASRec: the second shot's sampler, and the two-shot pipeline end to end on a tiny sample."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from omegaconf import open_dict

import nasforge.pipeline.training as training
import nasforge.stages.train as train_stage
from nasforge.core.search.path_set import distinct_samples, save_path_set
from nasforge.core.search.random_baseline import best_of_k_pick_probabilities
from nasforge.pipeline import run
from nasforge.pipeline.reuse import TrainedOtherwiseError
from nasforge.recsys.fgps import PathSetSampler
from nasforge.recsys.nasrec import full_space, path_from_arch
from nasforge.stages.ranking import RankingStudyStage


def _space():
    return full_space(num_blocks=3, dense_widths=(8, 16), sparse_widths=(4, 8))


def _path_set(tmp_path: Path, count: int = 3):
    space = _space()
    rng = np.random.default_rng(0)
    archs = [space.sample(rng) for _ in range(count)]
    return space, archs, save_path_set(tmp_path / "path_set.json", archs, {})


def test_without_a_uniform_share_only_paths_of_the_set_train(tmp_path):
    space, archs, file = _path_set(tmp_path)
    sampler = PathSetSampler(space, str(file), uniform_share=0.0, seed=1)
    allowed = {path_from_arch(a) for a in archs}
    drawn = [sampler(step) for step in range(200)]
    assert set(drawn) == allowed  # every path of the set, nothing else
    assert [sampler(step) for step in range(200)] == drawn  # a function of (seed, step)


def test_the_uniform_share_draws_paths_of_the_whole_space(tmp_path):
    space, archs, file = _path_set(tmp_path)
    sampler = PathSetSampler(space, str(file), uniform_share=0.3, seed=1)
    allowed = {path_from_arch(a) for a in archs}
    outside = sum(sampler(step) not in allowed for step in range(1000))
    assert 230 < outside < 370  # about 30%, less the rare whole-space draw that lands in the set


def test_a_sampler_without_its_set_or_with_a_bad_share_says_so(tmp_path):
    space, _, file = _path_set(tmp_path)
    with pytest.raises(ValueError, match="path_set_file is required"):
        PathSetSampler(space)
    with pytest.raises(ValueError, match=r"uniform_share must be in \[0, 1\]"):
        PathSetSampler(space, str(file), uniform_share=1.5)


def test_two_shot_pipeline_end_to_end(compose_train, monkeypatch, tmp_path):
    started_from: dict[str, dict[str, torch.Tensor]] = {}
    real_fit = train_stage.fit_model

    def recording_fit(cfg, model, datamodule, **overrides):
        started_from[cfg.model.sampler._target_] = {k: v.clone() for k, v in model.net.state_dict().items()}
        return real_fit(cfg, model, datamodule, **overrides)

    monkeypatch.setattr(train_stage, "fit_model", recording_fit)
    cfg = compose_train(["experiment=fgps_criteo", "trainer.fast_dev_run=true", "pipeline.ranking_archs=3"])
    metrics = run(cfg)
    out = Path(cfg.paths.output_dir)

    # shot 2 starts from the weights shot 1 saved, on the paths of the set
    shot1 = torch.load(out / "supernet.pt", weights_only=True)
    shot2_start = started_from["nasforge.recsys.fgps.PathSetSampler"]
    assert all(torch.equal(shot1[k], shot2_start[k]) for k in shot1)
    path_set = json.loads((out / "path_set.json").read_text())
    assert len(path_set["paths"]) == metrics["path_set/size"] == 3
    assert path_set["predicted"][0] == max(path_set["predicted"])  # FGPS starts from the best predicted

    for name in ("best_arch.json", "ranking.md", "ranking.png", "predictor_fit.png", "supernet_shot2.pt"):
        assert (out / name).is_file(), name
    for scorer in ("one_shot", "two_shot", "predictor"):
        assert f"ranking/{scorer}/auc_kendall_tau" in metrics
    assert "ranking/searched_test_auc" in metrics and "ranking/best_random_test_auc" in metrics
    difference = metrics["ranking/two_shot_vs_one_shot/auc_kendall_tau_difference"]
    tau = {scorer: metrics[f"ranking/{scorer}/auc_kendall_tau"] for scorer in ("one_shot", "two_shot")}
    assert difference == pytest.approx(tau["two_shot"] - tau["one_shot"])
    assert "Kendall tau (auc) of two_shot minus one_shot" in (out / "ranking.md").read_text()
    # the random search at the search's budget: 2 retrained (tiny profile), the best on validation
    study = json.loads((out / "ranking" / "ranking.json").read_text())
    learning = [i for i, auc in enumerate(study["truth"]["auc"]) if auc > 0.5]
    assert study["learning"] == learning and metrics["ranking/learning_architectures"] == len(learning)
    assert f"Among the {len(learning)} architectures that learn" in (out / "ranking.md").read_text()
    assert ("ranking/two_shot/auc_kendall_tau_learning" in metrics) == (len(learning) >= 2)
    picks = best_of_k_pick_probabilities(study["selection"], 2)
    assert metrics["ranking/random_search_retrained"] == 2
    expected = sum(p * t for p, t in zip(picks, study["truth"]["auc"], strict=True))
    assert metrics["ranking/random_search_test_auc"] == pytest.approx(expected)
    searched = metrics["ranking/searched_test_auc"]
    beaten = sum(p for p, t in zip(picks, study["truth"]["auc"], strict=True) if searched > t)
    assert metrics["ranking/searched_beats_random_search_auc"] == pytest.approx(beaten)
    assert "a random search retraining 2 of them" in (out / "ranking.md").read_text()
    # the best of R a user could pick: the best on validation, not on test
    picked = int(np.argmax(study["selection"]))
    by_validation = metrics["ranking/best_random_by_validation_test_auc"]
    assert by_validation == pytest.approx(study["truth"]["auc"][picked])
    assert by_validation <= metrics["ranking/best_random_test_auc"]
    assert metrics["ranking/searched_beats_best_random_by_validation_auc"] == float(searched > by_validation)
    assert "the best of the 3 on validation" in (out / "ranking.md").read_text()
    best_random = json.loads(Path(metrics["ranking/best_random_arch"]).read_text())
    assert best_random["space"] == json.loads((out / "best_arch.json").read_text())["space"]

    # the stand-alone results are kept: the study again, in the same folder, trains nothing
    (out / "stages" / "ranking.json").unlink()
    monkeypatch.setattr("nasforge.pipeline.training.fit_model", _no_training)
    again = run(cfg)
    for key in ("ranking/best_random_test_auc", "ranking/one_shot/auc_spearman"):
        assert again[key] == pytest.approx(metrics[key])


def test_an_ablation_copies_the_study_trained_alike_and_refuses_one_trained_otherwise(
    compose_train, monkeypatch, tmp_path
):
    base = ["experiment=fgps_criteo", "trainer.fast_dev_run=true", "pipeline.ranking_archs=3"]
    first = compose_train(base)
    metrics = run(first)
    out = Path(first.paths.output_dir)

    trained: list[Path] = []
    real_fit = training.fit_model

    def recording_fit(cfg, model, datamodule, **overrides):
        trained.append(Path(cfg.paths.output_dir))
        return real_fit(cfg, model, datamodule, **overrides)

    monkeypatch.setattr(training, "fit_model", recording_fit)
    ablation = compose_train(
        [*base, "pipeline.path_set.selection=random", f"pipeline.ranking_reuse_from={out}"]
    )
    with open_dict(ablation):
        ablation.paths.output_dir = str(tmp_path / "ablation")
    again = run(ablation)
    study = Path(ablation.paths.output_dir) / "ranking"
    assert trained and not any(study in folder.parents for folder in trained)  # the retrain stage trains
    assert again["ranking/best_random_test_auc"] == pytest.approx(metrics["ranking/best_random_test_auc"])
    copied = [json.loads(result.read_text()) for result in study.glob("*/result.json")]
    assert len(copied) == 3 and all(record["folder"].startswith(str(study)) for record in copied)

    # the same study with another child learning rate: the copies would be false, so it stops
    with open_dict(ablation):
        ablation.child.optimizer.lr = 0.5
        ablation.recompute_from = "ranking"
    with pytest.raises(TrainedOtherwiseError, match=r"model\.optimizer\.lr: 0\.05 -> 0\.5"):
        run(ablation)


def _no_training(*args, **kwargs):
    raise AssertionError("a stand-alone architecture was trained again")


def test_agreement_among_learning_architectures_leaves_out_those_at_chance():
    """A scorer that only tells networks that learned nothing from the others: a high tau over all,
    none among the ones that learn."""
    stage = RankingStudyStage(space=None, evaluator=None, num_archs=8, chance_level=0.5, top=2)
    truth = {"auc": [0.5, 0.5, 0.5, 0.5, 0.70, 0.71, 0.72, 0.73], "logloss": [0.6] * 4 + [0.5] * 4}
    scores = {"supernet": {"auc": [0.1, 0.2, 0.3, 0.4, 0.9, 0.8, 0.7, 0.6]}}
    learning = stage._learning(truth)
    assert learning == [4, 5, 6, 7]
    overall = stage._agreement(scores, truth)[0]["kendall_tau"]
    among = stage._agreement_among(learning, scores, truth)[0]["kendall_tau"]
    assert overall > 0.3 and among == pytest.approx(-1.0)
    assert RankingStudyStage(space=None, evaluator=None, num_archs=8)._learning(truth) == list(range(8))


class _ByHash:
    """A predictor whose scores are a fixed function of the architecture."""

    def predict(self, archs):
        return np.array([int(a.hash[:6], 16) for a in archs], dtype=float)


def _pool_study(space=None, **settings):
    """A study of 6 architectures drawn from the best predicted tenth."""
    defaults = {"num_archs": 6, "predictor_stage": "predictor", "draw_top_fraction": 0.1}
    return RankingStudyStage(space=space, evaluator=None, **{**defaults, **settings})


def test_a_study_drawn_from_the_predicted_top_holds_only_pool_architectures():
    space = _space()
    stage = _pool_study(space, seed=3, draw_candidates=80)
    stage._predictor = lambda context: _ByHash()
    drawn = stage._draw(context=None)
    candidates = distinct_samples(space, 80, np.random.default_rng(3))
    pool = sorted(candidates, key=lambda a: -_ByHash().predict([a])[0])[:8]
    assert len(set(drawn)) == 6 and set(drawn) <= set(pool)
    assert stage._draw(context=None) == drawn  # the seed fixes the draw
    uniform = RankingStudyStage(space=space, evaluator=None, num_archs=6, seed=3)._draw(context=None)
    assert uniform == distinct_samples(space, 6, np.random.default_rng(3))


def test_a_predicted_top_draw_without_a_predictor_or_pool_says_so():
    with pytest.raises(ValueError, match="needs a predictor_stage"):
        _pool_study(predictor_stage=None)
    with pytest.raises(ValueError, match="is 5 architectures, fewer than the 6"):
        _pool_study(draw_candidates=50)

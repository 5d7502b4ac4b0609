"""The pipeline refuses a mis-wired recipe before any stage runs, and stages hand on typed records."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import open_dict

from nasforge.core.arch import Arch
from nasforge.core.search import RandomSearch
from nasforge.pipeline import (
    Candidate,
    PipelineWiringError,
    ReportResult,
    ResultFileError,
    RetrainResult,
    RunContext,
    SearchResult,
    StageResult,
    WeightsResult,
    check_wiring,
    run,
)
from nasforge.stages import RetrainStage, SearchStage, TrainStage


class Emits:
    """A stage that hands on a fixed record."""

    def __init__(self, name: str, result: StageResult, consumes: dict | None = None) -> None:
        self.name, self.result, self.consumes, self.produces = name, result, consumes or {}, type(result)
        self.runs = 0

    def run(self, context: RunContext) -> StageResult:
        self.runs += 1
        return self.result


def _search(name: str = "search", folder: str = "") -> SearchStage:
    return SearchStage(RandomSearch(), evaluator=None, budget=2, name=name, folder=folder)


def test_a_stage_before_its_input_is_named_with_the_missing_input():
    stages = [RetrainStage(top_k=1), _search(), TrainStage(name="supernet", save_weights="s.pt")]
    with pytest.raises(PipelineWiringError) as error:
        check_wiring(stages)
    message = str(error.value)
    assert "Stage 'retrain' (RetrainStage) needs a SearchResult from stage 'search'" in message
    assert "it runs later: move it earlier" in message


def test_an_input_of_the_wrong_kind_is_refused():
    # a supernet stage that saves no weights hands on a TrainResult, which a search cannot use
    with pytest.raises(
        PipelineWiringError, match="needs a WeightsResult from stage 'supernet', which produces a "
    ):
        check_wiring([TrainStage(name="supernet"), _search()])


def test_unknown_stage_names_duplicate_names_and_shared_folders_are_refused():
    with pytest.raises(PipelineWiringError, match="no earlier stage is named 'supernet'; stages in order"):
        check_wiring([_search()])
    supernet = TrainStage(name="supernet", save_weights="s.pt")
    with pytest.raises(PipelineWiringError, match="Two stages are named 'supernet'"):
        check_wiring([supernet, supernet])
    with pytest.raises(PipelineWiringError, match=r"Stages 'a' and 'b' both write 'history\.jsonl'"):
        check_wiring([supernet, _search("a"), _search("b")])
    check_wiring([supernet, _search("a", folder="a"), _search("b", folder="b")])  # one class, two names


def test_a_second_shot_consumes_the_first_shots_weights():
    first = TrainStage(name="first", save_weights="first.pt")
    second = TrainStage(name="second", save_weights="second.pt", init_from="first")
    assert second.consumes == {"first": WeightsResult}
    check_wiring([first, second])
    with pytest.raises(PipelineWiringError, match="Stage 'second'"):
        check_wiring([second, first])


def test_a_miswired_recipe_fails_before_the_first_stage_trains(compose_train):
    cfg = compose_train(["experiment=nasrec_criteo", "trainer.fast_dev_run=true"])
    with open_dict(cfg):
        cfg.pipeline.stages = [cfg.pipeline.stages[i] for i in (0, 2, 1)]  # retrain before search
    with pytest.raises(PipelineWiringError, match="Stage 'retrain'"):
        run(cfg)
    assert not (Path(cfg.paths.output_dir) / "stages").exists()


@pytest.mark.parametrize(
    "result",
    [
        WeightsResult(metrics={"supernet/loss": 0.5}, best_checkpoint="", weights="w.pt"),
        RetrainResult(metrics={"test/auc": 0.7}, best_arch="best_arch.json", candidates=[{"rank": 0}]),
        ReportResult(metrics={}, files={"plot": "p.png"}),
    ],
)
def test_records_round_trip_through_json(result):
    assert type(result).from_json(result.to_json()) == result


def test_a_search_record_round_trips_its_architectures():
    archs = [Arch("toy", 1, {"values": [seed, 2]}) for seed in range(2)]
    result = SearchResult(history="h.jsonl", top_k=tuple(Candidate(a, {"acc": 0.5}) for a in archs))
    back = SearchResult.from_json(result.to_json())
    assert back == result and back.top_k[1].arch == archs[1]


def test_a_marker_without_a_needed_field_names_the_file_and_field():
    with pytest.raises(ResultFileError, match=r"stages/search.json: a SearchResult needs \['history'\]"):
        SearchResult.from_json({"metrics": {}, "top_k": []}, source="stages/search.json")


def test_the_pipeline_resumes_typed_records_and_skips_finished_stages(compose_train, monkeypatch):
    first = Emits("first", WeightsResult(metrics={"a": 1.0}, weights="w.pt"))
    second = Emits("second", ReportResult(metrics={"b": 2.0}), consumes={"first": WeightsResult})
    stages = [first, second]
    monkeypatch.setattr("nasforge.pipeline.runner.hydra.utils.instantiate", lambda spec: stages.pop(0))
    cfg = compose_train(["experiment=dlrm_criteo"])
    with open_dict(cfg):
        cfg.pipeline.stages = [{"_target_": "first"}, {"_target_": "second"}]
    assert run(cfg)["b"] == 2.0

    stages.extend([first, second])
    metrics = run(cfg)
    assert first.runs == second.runs == 1 and metrics["a"] == 1.0 and metrics["b"] == 2.0


def test_a_second_shot_starts_from_the_first_shots_weights(compose_train):
    import torch

    cfg = compose_train(
        [
            "experiment=dlrm_criteo",
            "trainer.max_epochs=1",
            "trainer.limit_train_batches=2",
            "trainer.limit_val_batches=1",
        ]
    )
    with open_dict(cfg):
        cfg.pipeline.stages = [
            {
                "_target_": "nasforge.stages.TrainStage",
                "name": "first",
                "test": False,
                "save_weights": "first.pt",
            },
            # no training at all: the second shot's weights are exactly what it started from
            {
                "_target_": "nasforge.stages.TrainStage",
                "name": "second",
                "test": False,
                "save_weights": "second.pt",
                "init_from": "first",
                "trainer": {"max_epochs": 0},
            },
        ]
    run(cfg)
    out = Path(cfg.paths.output_dir)
    first, second = torch.load(out / "first.pt"), torch.load(out / "second.pt")
    assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)

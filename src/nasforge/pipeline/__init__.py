"""A search is a pipeline of stages: this package runs them, hands typed results from one to the
next, and holds what they share (the run context, the data, training a model into a folder)."""

from nasforge.pipeline.context import RunContext
from nasforge.pipeline.data import build_datamodule, data_source_info
from nasforge.pipeline.json_io import write_json
from nasforge.pipeline.results import (
    Candidate,
    LabelsResult,
    PathSetResult,
    PredictorResult,
    ReportResult,
    ResultFileError,
    RetrainResult,
    SearchResult,
    ShrinkResult,
    StageResult,
    TrainResult,
    WeightsResult,
)
from nasforge.pipeline.runner import build_stages, run
from nasforge.pipeline.training import FINAL_WEIGHTS, fit_model, floats, load_weights, train_in_folder
from nasforge.pipeline.wiring import PipelineWiringError, Stage, check_wiring

__all__ = [
    "FINAL_WEIGHTS",
    "Candidate",
    "LabelsResult",
    "PathSetResult",
    "PipelineWiringError",
    "PredictorResult",
    "ReportResult",
    "ResultFileError",
    "RetrainResult",
    "RunContext",
    "SearchResult",
    "ShrinkResult",
    "Stage",
    "StageResult",
    "TrainResult",
    "WeightsResult",
    "build_datamodule",
    "build_stages",
    "check_wiring",
    "data_source_info",
    "fit_model",
    "floats",
    "load_weights",
    "run",
    "train_in_folder",
    "write_json",
]

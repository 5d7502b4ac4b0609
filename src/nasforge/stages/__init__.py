"""Pipeline stages: each an ordinary Lightning run over the experiment's search space or model."""

from nasforge.stages.train import TrainStage

__all__ = ["TrainStage"]

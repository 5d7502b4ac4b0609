"""Pipeline stages: each an ordinary Lightning run over the experiment's search space or model."""

from nasforge.stages.ground_truth import GroundTruthStage
from nasforge.stages.path_set import PathSetStage
from nasforge.stages.predictor import PredictorStage
from nasforge.stages.predictor_search import PredictorSearchStage
from nasforge.stages.ranking import RankingStudyStage
from nasforge.stages.retrain import RetrainStage
from nasforge.stages.search import SearchStage
from nasforge.stages.shrink import ShrinkStage
from nasforge.stages.tabular import TabularComparisonStage
from nasforge.stages.train import TrainStage

__all__ = [
    "GroundTruthStage",
    "PathSetStage",
    "PredictorSearchStage",
    "PredictorStage",
    "RankingStudyStage",
    "RetrainStage",
    "SearchStage",
    "ShrinkStage",
    "TabularComparisonStage",
    "TrainStage",
]

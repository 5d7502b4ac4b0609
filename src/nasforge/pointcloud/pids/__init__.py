"""PIDS: joint point-interaction and point-dimension search with a dense-sparse predictor."""

from nasforge.pointcloud.pids.evaluator import PIDSProxyTrainer
from nasforge.pointcloud.pids.network import PIDSBlock, PIDSNet
from nasforge.pointcloud.pids.space import PIDSSpace, pids_space

__all__ = ["PIDSBlock", "PIDSNet", "PIDSProxyTrainer", "PIDSSpace", "pids_space"]

"""Tasks: per-problem losses, batch layout and torchmetrics."""

from nasforge.tasks.classification import ClassificationTask
from nasforge.tasks.ctr import CTRTask
from nasforge.tasks.metrics import LogLoss
from nasforge.tasks.ood import OODTask
from nasforge.tasks.routability import RoutabilityTask
from nasforge.tasks.segmentation import SegmentationTask

__all__ = ["CTRTask", "ClassificationTask", "LogLoss", "OODTask", "RoutabilityTask", "SegmentationTask"]

"""Tasks: per-problem losses, batch layout and torchmetrics."""

from nasforge.tasks.ctr import CTRTask
from nasforge.tasks.metrics import LogLoss

__all__ = ["CTRTask", "LogLoss"]

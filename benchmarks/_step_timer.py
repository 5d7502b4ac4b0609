"""A Lightning callback that times training steps after a warm-up, for benchmarks that run train.py."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import lightning as L


class StepTimer(L.Callback):
    """Write ``{"steps", "seconds", "processes"}`` of the training steps after ``warmup`` steps to
    ``out`` (rank 0 only; DDP keeps the processes in step, so rank 0's time is the run's)."""

    def __init__(self, out: str, warmup: int = 5) -> None:
        self.out, self.warmup = Path(out), warmup
        self.started: float | None = None
        self.timed = 0

    def on_train_batch_start(self, trainer: L.Trainer, *args: Any) -> None:
        if trainer.global_step == self.warmup:
            self.started = time.perf_counter()

    def on_train_batch_end(self, trainer: L.Trainer, *args: Any) -> None:
        if self.started is not None:
            self.timed += 1

    def on_train_end(self, trainer: L.Trainer, *args: Any) -> None:
        if self.started is None or not trainer.is_global_zero:
            return
        seconds = time.perf_counter() - self.started
        payload = {"steps": self.timed, "seconds": seconds, "processes": trainer.world_size}
        self.out.write_text(json.dumps(payload))

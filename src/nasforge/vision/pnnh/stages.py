"""The ``survival`` stage: input survival through depth of a run's trained net and of its initialisation."""

from __future__ import annotations

from typing import Any

import torch

from nasforge.pipeline import ReportResult, RunContext, WeightsResult, load_weights
from nasforge.utils.pylogger import RankedLogger
from nasforge.vision.pnnh.analyze import write_survival
from nasforge.vision.pnnh.survival import survival_profile

__all__ = ["SurvivalStage"]

log = RankedLogger(__name__)


class SurvivalStage:
    """After a train stage that saved its final weights (``save_weights``), measure
    :func:`~nasforge.vision.pnnh.survival_profile` of the trained network and of a freshly initialised
    copy on ``samples`` test images; write ``survival.json`` and ``survival.png`` in the run folder and
    report ``survival/<trained|init>_final_<measure>``.

    Args:
        name: stage name (default: ``"survival"``).
        samples: test images measured (default: 128).
        weights_from: the stage that saved the trained network's weights (default: ``"train"``).
    """

    produces = ReportResult

    def __init__(self, name: str = "survival", samples: int = 128, weights_from: str = "train") -> None:
        if samples < 2:
            raise ValueError(f"SurvivalStage: samples must be >= 2 (CKA compares images), got {samples}")
        self.name, self.samples, self.weights_from = name, int(samples), weights_from

    def _images(self, datamodule: Any) -> torch.Tensor:
        batches, count = [], 0
        for batch in datamodule.test_dataloader():
            batches.append(
                datamodule.on_after_batch_transfer(batch, 0)["image"]
            )  # normalised, no augmentation
            count += len(batches[-1])
            if count >= self.samples:
                break
        return torch.cat(batches)[: self.samples]

    @property
    def consumes(self) -> dict[str, type[WeightsResult]]:
        return {self.weights_from: WeightsResult}

    def run(self, context: RunContext) -> ReportResult:
        weights = context.result(self.weights_from, WeightsResult).weights
        images = self._images(context.datamodule)
        trained = context.build_model(context.cfg.model).net
        load_weights(trained, weights, self.weights_from, context)
        torch.manual_seed(int(context.cfg.get("seed") or 0))
        initial = context.build_model(context.cfg.model).net
        profiles = {"trained": survival_profile(trained, images), "init": survival_profile(initial, images)}
        target = context.cfg.model.net._target_
        meta = {
            "net": target,
            "weights": str(weights),
            "images": len(images),
            "data": context.info.get("data"),
        }
        json_path, png_path = write_survival(
            profiles, context.output_dir, meta, title=f"{target.rsplit('.', 1)[-1]}"
        )
        log.info(f"Input survival written to {png_path} and {json_path}")
        metrics = {
            f"survival/{name}_final_{key}": rows[-1][key]
            for name, rows in profiles.items()
            for key in ("active_fraction", "cka_input")
        }
        return ReportResult(metrics=metrics, files={"survival": str(json_path), "plot": str(png_path)})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, samples={self.samples})"

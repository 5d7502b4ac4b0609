"""The ``retrain`` stage: train the best searched architectures from scratch, test the best one."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf, open_dict

from nasforge.core.arch import Arch
from nasforge.pipeline import RunContext, write_json
from nasforge.stages.train import build_model, fit_model, floats, run_datamodule
from nasforge.utils.instantiators import build_trainer
from nasforge.utils.pylogger import RankedLogger

__all__ = ["RetrainStage"]

log = RankedLogger(__name__)

_RESULT, _WEIGHTS = "result.json", "final_weights.pt"
#: costs the search measured that are reported for the chosen architecture as ``best/<cost>``
_COSTS = ("flops", "params")


class RetrainStage:
    """Train each of the top ``top_k`` architectures of stage ``search_stage`` as a plain child with
    ``cfg[child_key]`` (a model config taking ``arch``, a path to the architecture's JSON) and
    ``cfg.trainer``; pick the best on validation, test it, and export it as ``best_arch.json``.

    Each candidate runs in ``retrain/<rank>-<hash>/`` and leaves ``result.json`` when done, so a killed
    stage resumes with the next unfinished candidate.

    Args:
        top_k: candidates to train (default: ``3``).
        search_stage: stage whose result holds ``top_k`` (default: ``"search"``).
        child_key: top-level config key of the child model config (default: ``"child"``).
        name: stage name (default: ``"retrain"``).
    """

    def __init__(
        self, top_k: int = 3, search_stage: str = "search", child_key: str = "child", name: str = "retrain"
    ) -> None:
        if top_k < 1:
            raise ValueError(f"RetrainStage: top_k must be at least 1, got {top_k}")
        self.top_k, self.search_stage, self.child_key, self.name = top_k, search_stage, child_key, name

    def run(self, context: RunContext) -> dict[str, Any]:
        cfg, out = context.cfg, context.output_dir
        candidates = context.results.get(self.search_stage, {}).get("top_k")
        if not candidates:
            raise RuntimeError(f"RetrainStage: stage '{self.search_stage}' handed over no architectures")
        datamodule = run_datamodule(context)
        results = []
        for rank, candidate in enumerate(candidates[: self.top_k]):
            arch = Arch.from_dict(candidate["arch"], source=f"{self.search_stage} result")
            folder = out / "retrain" / f"{rank}-{arch.hash}"
            results.append(self._train(cfg, datamodule, arch, folder, rank, len(candidates[: self.top_k])))

        monitor, mode = results[0]["monitor"], results[0]["monitor_mode"]
        pick = max if mode == "max" else min
        best = pick(results, key=lambda r: r["metrics"][f"val/{monitor}_best"])
        log.info(f"Best retrained architecture: rank {best['rank']} ({best['arch']}), testing it")
        test_metrics = self._test(cfg, datamodule, best)
        best_arch = Arch.load(best["arch_file"])
        best_arch.save(out / "best_arch.json")
        metrics: dict[str, Any] = {**test_metrics, **best["metrics"]}
        for r in results:
            metrics[f"retrain/{r['rank']}/val_{monitor}"] = r["metrics"][f"val/{monitor}_best"]
        metrics["retrain/best_rank"] = best["rank"]
        searched = candidates[best["rank"]].get("metrics", {})
        metrics.update({f"best/{key}": searched[key] for key in _COSTS if key in searched})
        return {"metrics": metrics, "best_arch": str(out / "best_arch.json"), "candidates": results}

    def child_config(self, cfg: DictConfig, arch_file: Path, folder: Path) -> DictConfig:
        """The run config of one candidate: the child model on ``arch_file``, outputs in ``folder``."""
        child_cfg = copy.deepcopy(cfg)
        with open_dict(child_cfg):
            child_cfg.model = copy.deepcopy(cfg[self.child_key])
            child_cfg.model.arch = str(arch_file)
            child_cfg.paths.output_dir = str(folder)
            child_cfg.ckpt_path = None
        return child_cfg

    def _train(
        self, cfg: DictConfig, datamodule: Any, arch: Arch, folder: Path, rank: int, total: int
    ) -> dict:
        result_file = folder / _RESULT
        if result_file.is_file():
            log.info(f"Candidate {rank + 1}/{total} ({arch.hash}) already retrained in {folder}")
            return json.loads(result_file.read_text())
        log.info(f"Retraining candidate {rank + 1}/{total} ({arch.hash}) from scratch in {folder}")
        arch_file = arch.save(folder / "arch.json")
        child_cfg = self.child_config(cfg, arch_file, folder)
        model = build_model(child_cfg.model, datamodule)
        # beside checkpoints/, so `eval.py ckpt_path=<folder>/checkpoints/<file>` rebuilds this child
        OmegaConf.save(child_cfg, folder / "config.yaml", resolve=True)
        _, metrics, best_path = fit_model(child_cfg, model, datamodule)
        torch.save(model.net.state_dict(), folder / _WEIGHTS)
        result = {
            "rank": rank,
            "arch": arch.hash,
            "arch_file": str(arch_file),
            "folder": str(folder),
            "best_checkpoint": best_path,
            "monitor": model.task.monitor,
            "monitor_mode": model.task.monitor_mode,
            "metrics": metrics,
        }
        write_json(result_file, result)
        return result

    def _test(self, cfg: DictConfig, datamodule: Any, best: dict) -> dict[str, float]:
        folder = Path(best["folder"])
        child_cfg = self.child_config(cfg, Path(best["arch_file"]), folder)
        model = build_model(child_cfg.model, datamodule)
        trainer = build_trainer(child_cfg)
        if best["best_checkpoint"]:
            trainer.test(model=model, datamodule=datamodule, ckpt_path=best["best_checkpoint"])
        else:
            log.warning(f"No best checkpoint was saved for {best['arch']}; testing its final weights")
            model.net.load_state_dict(torch.load(folder / _WEIGHTS, map_location="cpu", weights_only=True))
            trainer.test(model=model, datamodule=datamodule)
        return floats(trainer.callback_metrics)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, top_k={self.top_k})"

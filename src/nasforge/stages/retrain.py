"""The ``retrain`` stage: train the best searched architectures from scratch, test the best one; and,
to tell whether the search paid off, the best-labelled architecture the same way."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import hydra
import torch
from omegaconf import DictConfig, open_dict

from nasforge.core.arch import Arch
from nasforge.core.history import History
from nasforge.pipeline import (
    FINAL_WEIGHTS,
    LabelsResult,
    RetrainResult,
    RunContext,
    SearchResult,
    StageResult,
    floats,
    train_in_folder,
)
from nasforge.pipeline.distributed import is_rank_zero, wait_for_every_rank
from nasforge.utils.instantiators import build_trainer
from nasforge.utils.pylogger import RankedLogger

__all__ = ["RetrainStage", "child_config", "train_child"]

log = RankedLogger(__name__)

#: costs the search measured that are reported for the chosen architecture as ``best/<cost>``
_COSTS = ("flops", "params")


def child_config(cfg: DictConfig, child_key: str, arch_file: Path) -> DictConfig:
    """The child model config (``cfg[child_key]``) of the architecture in ``arch_file``."""
    child = copy.deepcopy(cfg[child_key])
    with open_dict(child):
        child.arch = str(arch_file)
    return child


def train_child(
    context: RunContext,
    child_key: str,
    arch: Arch,
    folder: Path,
    label: str,
    record: dict,
    test: bool = False,
    reuse: Path | None = None,
) -> dict[str, Any]:
    """Train ``arch`` from scratch as a child (``cfg[child_key]``) in ``folder``, its JSON kept there as
    ``arch.json``; the record of :func:`~nasforge.pipeline.train_in_folder` with ``arch`` and
    ``arch_file`` added to ``record`` (a finished folder is reused, and so is ``reuse``, another run's
    folder of the same child trained alike)."""
    arch_file = folder / "arch.json"
    if is_rank_zero() and not arch_file.is_file():
        arch.save(arch_file)
    wait_for_every_rank()  # every process builds the child from that file
    record = {**record, "arch": arch.hash, "arch_file": str(arch_file)}
    model = child_config(context.cfg, child_key, arch_file)
    return train_in_folder(context, model, folder, label, test=test, record=record, reuse=reuse)


class RetrainStage:
    """Train each of the top ``top_k`` architectures of stage ``search_stage`` as a plain child with
    ``cfg[child_key]`` (a model config taking ``arch``, a path to the architecture's JSON) and
    ``cfg.trainer``; pick the best on validation, test it, and export it as ``best_arch.json``.

    Each candidate runs in ``retrain/<rank>-<hash>/`` and leaves ``result.json`` when done, so a killed
    stage resumes with the next unfinished candidate.

    With ``labelled_stage``, the architecture with the best label there (``labelled_metric``, higher
    is better) is trained and tested the same way in ``retrain/labelled-<hash>/``, and reported as
    ``best_labelled/...``: a search that cannot beat it added nothing to labelling.

    Args:
        top_k: candidates to train (default: ``3``).
        search_stage: stage whose :class:`SearchResult` holds the candidates (default: ``"search"``).
        child_key: top-level config key of the child model config (default: ``"child"``).
        labelled_stage: stage whose :class:`LabelsResult` holds the labels (default: ``None``: none).
        labelled_metric: the label that ranks them (default: ``"acc"``).
        test_every: test every candidate, not only the best, and report each one's test metrics as
            ``retrain/<rank>/test_<metric>``, to compare searches that proposed them (default: False).
        name: stage name (default: ``"retrain"``).
    """

    produces = RetrainResult

    #: fits Lightning models, so under DDP every process runs it (rank 0 writes the files)
    runs_on_every_rank = True

    def __init__(
        self,
        top_k: int = 3,
        search_stage: str = "search",
        child_key: str = "child",
        labelled_stage: str | None = None,
        labelled_metric: str = "acc",
        test_every: bool = False,
        name: str = "retrain",
    ) -> None:
        self.test_every = test_every
        if top_k < 1:
            raise ValueError(f"RetrainStage: top_k must be at least 1, got {top_k}")
        self.top_k, self.search_stage, self.child_key, self.name = top_k, search_stage, child_key, name
        self.labelled_stage, self.labelled_metric = labelled_stage, labelled_metric

    @property
    def writes(self) -> tuple[str, ...]:
        return ("retrain",)

    @property
    def consumes(self) -> dict[str, type[StageResult]]:
        stages: dict[str, type[StageResult]] = {self.search_stage: SearchResult}
        if self.labelled_stage is not None:
            stages[self.labelled_stage] = LabelsResult
        return stages

    def run(self, context: RunContext) -> RetrainResult:
        out = context.output_dir
        candidates = context.result(self.search_stage, SearchResult).top_k[: self.top_k]
        results = []
        for rank, candidate in enumerate(candidates):
            arch = candidate.arch
            label = f"Candidate {rank + 1}/{len(candidates)} ({arch.hash})"
            folder = out / "retrain" / f"{rank}-{arch.hash}"
            results.append(self._train(context, arch, folder, label, {"rank": rank}, test=self.test_every))

        monitor, mode = results[0]["monitor"], results[0]["monitor_mode"]
        pick = max if mode == "max" else min
        best = pick(results, key=lambda r: r["metrics"][f"val/{monitor}_best"])
        log.info(f"Best retrained architecture: rank {best['rank']} ({best['arch']}), testing it")
        test_metrics = _tested(best["metrics"]) if self.test_every else self._test(context, best)
        if is_rank_zero():
            Arch.load(best["arch_file"]).save(out / "best_arch.json")
        metrics: dict[str, Any] = {**test_metrics, **best["metrics"]}
        for r in results:
            metrics[f"retrain/{r['rank']}/val_{monitor}"] = r["metrics"][f"val/{monitor}_best"]
            if self.test_every:
                metrics.update(self._candidate_report(r, candidates[r["rank"]].metrics))
        metrics["retrain/best_rank"] = best["rank"]
        searched = candidates[best["rank"]].metrics
        metrics.update({f"best/{key}": searched[key] for key in _COSTS if key in searched})
        if self.labelled_stage is not None:
            metrics.update(self._best_labelled(context, best, test_metrics))
        return RetrainResult(metrics=metrics, best_arch=str(out / "best_arch.json"), candidates=results)

    def _candidate_report(self, result: dict[str, Any], searched: dict[str, Any]) -> dict[str, Any]:
        """A candidate's test metrics and costs as ``retrain/<rank>/test_<metric>``, ``.../<cost>``."""
        prefix = f"retrain/{result['rank']}/"
        report = {f"{prefix}test_{k.removeprefix('test/')}": v for k, v in _tested(result["metrics"]).items()}
        report.update({f"{prefix}{key}": searched[key] for key in _COSTS if key in searched})
        return report

    def _best_labelled(
        self, context: RunContext, best: dict, best_test: dict[str, float]
    ) -> dict[str, float]:
        """Validation and test metrics of the best-labelled architecture, retrained like the candidates
        (the best candidate's own, when it is that architecture)."""
        history = History(context.result(self.labelled_stage, LabelsResult).history)
        entry = history.best(self.labelled_metric, "max")
        label = entry.metrics[self.labelled_metric]
        log.info(f"Best-labelled architecture: {entry.hash} ({self.labelled_metric} {label:.4g})")
        monitor = f"val/{best['monitor']}_best"
        if entry.hash == best["arch"]:
            found = {**best_test, monitor: best["metrics"][monitor]}
        else:
            folder = context.output_dir / "retrain" / f"labelled-{entry.hash}"
            found = self._train(context, entry.arch, folder, "Best-labelled architecture", {}, test=True)[
                "metrics"
            ]
        keys = [monitor, *(key for key in found if key.startswith("test/"))]
        return {f"best_labelled/{key}": found[key] for key in keys if key in found}

    def _train(
        self, context: RunContext, arch: Arch, folder: Path, label: str, record: dict, test: bool = False
    ) -> dict[str, Any]:
        return train_child(context, self.child_key, arch, folder, label, record, test)

    def child_model(self, context: RunContext, arch_file: Path) -> DictConfig:
        """The child model config (``cfg[child_key]``) of the architecture in ``arch_file``."""
        return child_config(context.cfg, self.child_key, arch_file)

    def _test(self, context: RunContext, best: dict) -> dict[str, float]:
        run_cfg = context.run_config(self.child_model(context, Path(best["arch_file"])), Path(best["folder"]))
        model = hydra.utils.instantiate(run_cfg.model)
        trainer = build_trainer(run_cfg)
        if best["best_checkpoint"]:
            trainer.test(model=model, datamodule=context.datamodule, ckpt_path=best["best_checkpoint"])
        else:
            log.warning(f"No best checkpoint was saved for {best['arch']}; testing its final weights")
            weights = best.get("weights") or str(Path(best["folder"]) / FINAL_WEIGHTS)
            model.net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
            trainer.test(model=model, datamodule=context.datamodule)
        return floats(trainer.callback_metrics)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, top_k={self.top_k})"


def _tested(metrics: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in metrics.items() if key.startswith("test/")}

"""The ``retrain`` stage: train the best searched architectures from scratch, test the best one; and,
to tell whether the search paid off, the best-labelled architecture the same way."""

from __future__ import annotations

import copy
from functools import partial
from pathlib import Path
from typing import Any

import hydra
import numpy as np
import torch
from omegaconf import DictConfig, open_dict

from nasforge.core.arch import Arch
from nasforge.core.history import History, check_mode
from nasforge.pipeline import (
    FINAL_WEIGHTS,
    Candidate,
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
    seed: int | None = None,
) -> dict[str, Any]:
    """Train ``arch`` from scratch as a child (``cfg[child_key]``) in ``folder``, its JSON kept there as
    ``arch.json``; the record of :func:`~nasforge.pipeline.train_in_folder` with ``arch`` and
    ``arch_file`` added to ``record`` (a finished folder is reused, and so is ``reuse``, another run's
    folder of the same child trained alike). ``seed`` replaces the run seed it is seeded from."""
    arch_file = folder / "arch.json"
    if is_rank_zero() and not arch_file.is_file():
        arch.save(arch_file)
    wait_for_every_rank()  # every process builds the child from that file
    record = {**record, "arch": arch.hash, "arch_file": str(arch_file)}
    model = child_config(context.cfg, child_key, arch_file)
    return train_in_folder(context, model, folder, label, test=test, record=record, reuse=reuse, seed=seed)


class RetrainStage:
    """Train each of the top ``top_k`` architectures of stage ``search_stage`` as a plain child with
    ``cfg[child_key]`` (a model config taking ``arch``, a path to the architecture's JSON) and
    ``cfg.trainer``; pick the best on validation, test it, and export it as ``best_arch.json``.

    Each candidate runs in ``retrain/<rank>-<hash>/`` and leaves ``result.json`` when done, so a killed
    stage resumes with the next unfinished candidate.

    With ``labelled_stage``, the architecture with the best label there (``labelled_metric``, higher
    is better) is trained and tested the same way in ``retrain/labelled-<hash>/``, and reported as
    ``best_labelled/...``: a search that cannot beat it added nothing to labelling. With
    ``labelled_candidates`` the best-labelled architectures the search did not propose also compete
    for ``best_arch.json``: what a predictor-based search measured is a result of the search too.

    With ``seeds`` above 1 each candidate is trained that many times, seeded from the run seed plus
    0, 1, ... (``<folder>/seed-<k>/``), and candidates are compared on the mean of their best
    validation values: one training tells whether an architecture learned the task once, not how
    reliably it does. The chosen one is tested at every seed and its test metrics are the means, with
    their standard deviations as ``test/<metric>_std``.

    With ``select``, candidates are compared on that validation metric, measured again at each
    training's best checkpoint (the one its test reads), instead of on the monitor's best value: a
    child whose checkpoints are chosen on one metric (ID accuracy) can then be chosen among others on
    the metric the search optimised (near-OOD AUROC on the OOD validation set).

    Args:
        top_k: candidates to train (default: ``3``).
        search_stage: stage whose :class:`SearchResult` holds the candidates (default: ``"search"``).
        child_key: top-level config key of the child model config (default: ``"child"``).
        labelled_stage: stage whose :class:`LabelsResult` holds the labels (default: ``None``: none).
        labelled_metric: the label that ranks them (default: ``"acc"``).
        test_every: test every candidate, not only the best, and report each one's test metrics as
            ``retrain/<rank>/test_<metric>``, to compare searches that proposed them (default: False).
        seeds: trainings per candidate (default: ``1``).
        labelled_candidates: best-labelled architectures of ``labelled_stage`` that join the
            candidates, after the searched ones (default: ``0``).
        select: the validation metric that compares candidates, e.g. ``"val/auroc"`` (default: None,
            the best value of the child's monitor).
        select_mode: ``"max"`` or ``"min"``: which value of ``select`` is better (default: ``"max"``).
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
        seeds: int = 1,
        labelled_candidates: int = 0,
        select: str | None = None,
        select_mode: str = "max",
        name: str = "retrain",
    ) -> None:
        self.test_every = test_every
        if top_k < 1:
            raise ValueError(f"RetrainStage: top_k must be at least 1, got {top_k}")
        if seeds < 1:
            raise ValueError(f"RetrainStage: seeds must be at least 1, got {seeds}")
        if labelled_candidates < 0 or (labelled_candidates and labelled_stage is None):
            raise ValueError(
                "RetrainStage: labelled_candidates must be a non-negative count, and above 0 needs "
                f"labelled_stage (got {labelled_candidates} with labelled_stage={labelled_stage!r})"
            )
        self.seeds, self.labelled_candidates = seeds, labelled_candidates
        self.select, self.select_mode = select, check_mode(select_mode)
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
        searched = context.result(self.search_stage, SearchResult).top_k[: self.top_k]
        candidates = [*searched, *self._labelled_candidates(context, searched)]
        results = []
        for rank, candidate in enumerate(candidates):
            arch = candidate.arch
            source = "search" if rank < len(searched) else "labels"
            label = f"Candidate {rank + 1}/{len(candidates)} ({arch.hash}, from the {source})"
            name = f"{rank}-{arch.hash}" if source == "search" else f"labelled-{arch.hash}"
            record = {"rank": rank, "source": source}
            results.append(self._train(context, arch, out / "retrain" / name, label, record, self.test_every))

        monitor = results[0]["monitor"]
        compared = self._compared(monitor)
        chosen_on = list(compared)[-1]
        mode = results[0]["monitor_mode"] if self.select is None else self.select_mode
        pick = max if mode == "max" else min
        best = pick(results, key=lambda r: r["metrics"][chosen_on])
        log.info(
            f"Best retrained architecture on {chosen_on}: rank {best['rank']} ({best['arch']}, from the "
            f"{best['source']}), testing it"
        )
        test_metrics = _tested(best["metrics"]) if self.test_every else self._test(context, best)
        if is_rank_zero():
            Arch.load(best["arch_file"]).save(out / "best_arch.json")
        metrics: dict[str, Any] = {**test_metrics, **best["metrics"]}
        for r in results:
            for key, name in compared.items():
                for suffix in ("", "_std"):
                    if f"{key}{suffix}" in r["metrics"]:
                        metrics[f"retrain/{r['rank']}/{name}{suffix}"] = r["metrics"][f"{key}{suffix}"]
            if self.test_every:
                metrics.update(self._candidate_report(r, candidates[r["rank"]].metrics))
        metrics["retrain/best_rank"] = best["rank"]
        measured = candidates[best["rank"]].metrics
        metrics.update({f"best/{key}": measured[key] for key in _COSTS if key in measured})
        if self.labelled_stage is not None:
            metrics.update(self._best_labelled(context, best, test_metrics, results))
        return RetrainResult(metrics=metrics, best_arch=str(out / "best_arch.json"), candidates=results)

    def _candidate_report(self, result: dict[str, Any], searched: dict[str, Any]) -> dict[str, Any]:
        """A candidate's test metrics and costs as ``retrain/<rank>/test_<metric>``, ``.../<cost>``."""
        prefix = f"retrain/{result['rank']}/"
        report = {f"{prefix}test_{k.removeprefix('test/')}": v for k, v in _tested(result["metrics"]).items()}
        report.update({f"{prefix}{key}": searched[key] for key in _COSTS if key in searched})
        return report

    def _labelled_candidates(self, context: RunContext, searched: tuple[Candidate, ...]) -> list[Candidate]:
        """The ``labelled_candidates`` best-labelled architectures that the search did not propose."""
        if not self.labelled_candidates:
            return []
        history = History(context.result(self.labelled_stage, LabelsResult).history)
        proposed = {candidate.arch.hash for candidate in searched}
        top = history.top_k(self.labelled_metric, self.labelled_candidates + len(proposed), "max")
        fresh = [Candidate(entry.arch, entry.metrics) for entry in top if entry.hash not in proposed]
        return fresh[: self.labelled_candidates]

    def _best_labelled(
        self, context: RunContext, best: dict, best_test: dict[str, float], results: list[dict[str, Any]]
    ) -> dict[str, float]:
        """Validation and test metrics of the best-labelled architecture, retrained like the candidates
        (the best candidate's own, when it is that architecture; tested now, when it was another
        candidate)."""
        history = History(context.result(self.labelled_stage, LabelsResult).history)
        entry = history.best(self.labelled_metric, "max")
        label = entry.metrics[self.labelled_metric]
        log.info(f"Best-labelled architecture: {entry.hash} ({self.labelled_metric} {label:.4g})")
        monitor = f"val/{best['monitor']}_best"
        retrained = {r["arch"]: r for r in results}
        if entry.hash in retrained:
            candidate = retrained[entry.hash]
            if candidate is best:
                tested = best_test
            else:
                tested = _tested(candidate["metrics"]) if self.test_every else self._test(context, candidate)
            found = {**candidate["metrics"], **tested}
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
        """The record of ``arch``'s training in ``folder``; with several seeds, of each training in
        ``seed-<k>/`` under ``seeds`` and their mean metrics under ``metrics``."""
        if self.seeds == 1:
            return self._selectable(
                context, train_child(context, self.child_key, arch, folder, label, record, test)
            )
        base = context.cfg.get("seed")
        runs = []
        for k in range(self.seeds):
            seed = None if base is None else int(base) + k
            name = f"{label}, seed {k + 1}/{self.seeds}"
            run = train_child(
                context, self.child_key, arch, folder / f"seed-{k}", name, record, test, seed=seed
            )
            runs.append(self._selectable(context, run))
        first = runs[0]
        metrics = _over_seeds([run["metrics"] for run in runs])
        for key in self._compared(first["monitor"]):
            values = ", ".join(f"{run['metrics'][key]:.4g}" for run in runs)
            log.info(f"{label}: {key} {metrics[key]:.4g} ± {metrics[f'{key}_std']:.2g} ({values})")
        kept = ("arch", "arch_file", "monitor", "monitor_mode")
        return {
            **record,
            **{key: first[key] for key in kept},
            "folder": str(folder),
            "metrics": metrics,
            "seeds": runs,
        }

    def child_model(self, context: RunContext, arch_file: Path) -> DictConfig:
        """The child model config (``cfg[child_key]``) of the architecture in ``arch_file``."""
        return child_config(context.cfg, self.child_key, arch_file)

    def _compared(self, monitor: str) -> dict[str, str]:
        """The validation values reported for each candidate -> their names under
        ``retrain/<rank>/``; the last one compares the candidates."""
        compared = {f"val/{monitor}_best": f"val_{monitor}"}
        if self.select is not None:
            key = _at_checkpoint(self.select)
            compared[key] = key.replace("/", "_")
        return compared

    def _selectable(self, context: RunContext, run: dict[str, Any]) -> dict[str, Any]:
        """``run`` with ``select`` measured at its best checkpoint added to its metrics (as it is
        without ``select``)."""
        if self.select is None:
            return run
        measured = self._evaluate(context, run, "validate")
        if self.select not in measured:
            raise KeyError(
                f"RetrainStage: select={self.select!r} is not a validation metric of the child; it logs "
                f"{sorted(measured)}"
            )
        return {**run, "metrics": {**run["metrics"], _at_checkpoint(self.select): measured[self.select]}}

    def _test(self, context: RunContext, best: dict) -> dict[str, float]:
        """Test metrics of ``best``'s best checkpoint; the means over its seeds, when it has several."""
        return _over_seeds([self._evaluate(context, run, "test") for run in best.get("seeds", [best])])

    def _evaluate(self, context: RunContext, run: dict[str, Any], split: str) -> dict[str, float]:
        """The metrics of one training's best checkpoint (its final weights when it saved none) on
        ``split``: ``"test"`` or ``"validate"``."""
        run_cfg = context.run_config(self.child_model(context, Path(run["arch_file"])), Path(run["folder"]))
        model = hydra.utils.instantiate(run_cfg.model)
        trainer = build_trainer(run_cfg)
        evaluate = partial(
            getattr(trainer, split), model=model, datamodule=context.datamodule, verbose=split == "test"
        )
        if run["best_checkpoint"]:
            evaluate(ckpt_path=run["best_checkpoint"])
        else:
            log.warning(f"No best checkpoint was saved for {run['arch']}; evaluating its final weights")
            weights = run.get("weights") or str(Path(run["folder"]) / FINAL_WEIGHTS)
            model.net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
            evaluate()
        return floats(trainer.callback_metrics)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, top_k={self.top_k}, seeds={self.seeds}, "
            f"labelled_candidates={self.labelled_candidates}, select={self.select!r})"
        )


def _tested(metrics: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in metrics.items() if key.startswith("test/")}


def _at_checkpoint(metric: str) -> str:
    """The name under which a candidate's ``metric``, measured at its best checkpoint, is kept."""
    return f"{metric}_at_checkpoint"


def _over_seeds(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The mean of each metric over one candidate's trainings, with the standard deviation of each
    validation and test metric as ``<metric>_std``; one training's metrics as they are."""
    if len(runs) == 1:
        return runs[0]
    summary: dict[str, Any] = {}
    for key, value in runs[0].items():
        values = [run.get(key) for run in runs]
        if isinstance(value, bool) or not all(isinstance(v, int | float) for v in values):
            continue
        summary[key] = float(np.mean(values))
        if key.startswith(("val/", "test/")):
            summary[f"{key}_std"] = float(np.std(values))
    return summary

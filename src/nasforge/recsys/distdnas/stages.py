"""The ``search`` stage of DistDNAS: one differentiable search per data day, aggregated into one
architecture; optionally the conventional single search over all days beside it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import hydra
import numpy as np
import torch
from omegaconf import OmegaConf, open_dict
from torch import nn

from nasforge.core.arch import Arch
from nasforge.core.cost import count_flops, count_params
from nasforge.pipeline import Candidate, RunContext, SearchResult
from nasforge.pipeline.json_io import write_json
from nasforge.recsys.distdnas.aggregate import aggregate_gates
from nasforge.recsys.distdnas.day_task import GATES_FILE, search_day
from nasforge.recsys.distdnas.days import DataDay, plan_days
from nasforge.recsys.distdnas.derive import derive_arch
from nasforge.recsys.distdnas.executors import run_days
from nasforge.recsys.distdnas.plots import plot_day_gates
from nasforge.recsys.distdnas.space import DistDNASSpace
from nasforge.stages.retrain import child_config
from nasforge.utils.pylogger import RankedLogger

__all__ = ["SEQUENTIAL_GATE_SCHEDULES", "DaySearchStage"]

#: the gate schedules the one search over all days may take (see :class:`DaySearchStage`)
SEQUENTIAL_GATE_SCHEDULES = ("same", "stretched")

log = RankedLogger(__name__)


class DaySearchStage:
    """Search ``cfg.model`` (a gated supernet) once per data day, average the days' gates and derive
    one architecture of ``space``; hand it on (with the sequential search's, when that differs) as
    the candidates to retrain.

    Each day runs in ``days/<day>/`` (its own Lightning run) and leaves ``gates.json`` the moment it
    finishes; a rerun skips those days. A day that fails every attempt is written to
    ``days/<day>/error.log``, named in the log and in ``search/failed_days``, and left out of the
    average. Files: ``aggregated_gates.json``, ``distdnas_arch.json``, ``day_gates.png`` (the heat
    map), ``days/days.jsonl`` (one line per day).

    Args:
        space: the supernet's space.
        days: the data's days to search (default: None, its training days; data split by day only).
        pseudo_days: equal shares of the training rows searched as days, for data without dates
            (default: ``4``).
        max_days: search only the first this many days (default: None, all).
        executor: ``"ray"`` or ``"inprocess"`` (see :func:`~nasforge.recsys.distdnas.executors.run_days`);
            under ``trainer.fast_dev_run`` the days run in-process (default: ``"ray"``).
        max_retries: further attempts of a failed day (default: ``1``).
        num_cpus: CPUs of one day's Ray task, and its torch threads (default: ``1``).
        num_gpus: GPUs of one day's Ray task (default: ``0``).
        ray_address: a running Ray cluster to join; None starts a local one (default: None).
        ray_init: more ``ray.init`` keywords for a local cluster (default: none).
        threshold: the gate a module or connection needs to be kept (default: ``0.5``).
        weight_by_rows: weight each day's gates by its rows when averaging (default: True).
        compare_sequential: also search all the days in one run, the conventional way, and time it
            (default: False).
        sequential_gate_schedule: the gates' schedule in that search: ``"same"``, a day's (the gates
            then take as many more Adam steps as there are days, and the cost term's steady pull
            goes that much further); ``"stretched"``, the gate learning rate divided by the number
            of days and the gate warm-up multiplied by it, so the gates travel as far, over the same
            share of the search, as in one day's (default: ``"same"``).
        child_key: the child model config, used to measure the derived architectures' costs
            (default: ``"child"``).
        trainer: ``cfg.trainer`` keys set for the searches, e.g. their ``max_epochs`` (default: none).
        name: stage name (default: ``"search"``).
    """

    produces = SearchResult

    @property
    def consumes(self) -> dict[str, type]:
        return {}

    def __init__(
        self,
        space: DistDNASSpace,
        days: Sequence[int] | None = None,
        pseudo_days: int = 4,
        max_days: int | None = None,
        executor: str = "ray",
        max_retries: int = 1,
        num_cpus: float = 1,
        num_gpus: float = 0,
        ray_address: str | None = None,
        ray_init: dict[str, Any] | None = None,
        threshold: float = 0.5,
        weight_by_rows: bool = True,
        compare_sequential: bool = False,
        sequential_gate_schedule: str = "same",
        child_key: str = "child",
        trainer: Mapping[str, Any] | None = None,
        name: str = "search",
    ) -> None:
        self.trainer_overrides = dict(trainer or {})
        self.space, self.days, self.pseudo_days, self.max_days = space, days, pseudo_days, max_days
        self.executor, self.max_retries = executor, max_retries
        self.resources = {"num_cpus": num_cpus, "num_gpus": num_gpus}
        self.ray_address, self.ray_init = ray_address, dict(ray_init or {})
        self.threshold, self.weight_by_rows = threshold, weight_by_rows
        if sequential_gate_schedule not in SEQUENTIAL_GATE_SCHEDULES:
            raise ValueError(
                f"DaySearchStage: sequential_gate_schedule must be one of {SEQUENTIAL_GATE_SCHEDULES}, "
                f"got {sequential_gate_schedule!r}"
            )
        self.compare_sequential, self.child_key, self.name = compare_sequential, child_key, name
        self.sequential_gate_schedule = sequential_gate_schedule

    @property
    def writes(self) -> tuple[str, ...]:
        return ("days", "sequential", "aggregated_gates.json", "distdnas_arch.json", "day_gates.png")

    def run(self, context: RunContext) -> SearchResult:
        out = context.output_dir
        plan = plan_days(context.datamodule, self.days, self.pseudo_days, self.max_days)
        results, failed, wall = self._search_days(context, plan)
        arch, metrics = self._aggregate(context, results)
        metrics.update(
            {
                f"{self.name}/days": len(results),
                f"{self.name}/failed_days": failed,
                f"{self.name}/parallel_wall_s": wall,
                f"{self.name}/day_wall_s_sum": sum(r["wall_s"] for r in results),
            }
        )
        for r in results:
            for key in ("val/auc", "val/logloss"):
                if key in r["metrics"]:
                    metrics[f"{self.name}/{r['day']}/{key}"] = r["metrics"][key]
        costs = self._costs(context, out / "distdnas_arch.json")
        candidates = [Candidate(arch, {**costs, "searched_on": "days"})]
        if self.compare_sequential:
            candidates += self._sequential(context, plan, arch, metrics)
        history = out / "days" / "days.jsonl"
        history.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in results))
        return SearchResult(metrics=metrics, history=str(history), top_k=tuple(candidates))

    def _search_days(
        self, context: RunContext, plan: list[DataDay]
    ) -> tuple[list[dict[str, Any]], list[str], float]:
        """Every day's result (finished ones read back, the others searched), the days that failed
        and the seconds the searches of this run took."""
        out = context.output_dir
        finished = {}
        for day in plan:
            gates = out / "days" / day.name / GATES_FILE
            if gates.is_file():
                finished[day.name] = json.loads(gates.read_text())
        todo = [d for d in plan if d.name not in finished]
        executor = self._executor(context)
        log.info(
            f"DistDNAS: {len(plan)} searches ({', '.join(d.name for d in plan)}), {len(finished)} already "
            f"finished; running {len(todo)} with executor '{executor}'"
        )
        threads = int(self.resources["num_cpus"]) if executor == "ray" else None
        jobs = []
        for day in todo:
            folder = out / "days" / day.name
            cfg = self._search_config(context, folder, executor)
            jobs.append((day, {"cfg": cfg, "folder": str(folder), "threads": threads}))
        start = time.perf_counter()
        done, failures = run_days(
            search_day,
            jobs,
            executor,
            self.max_retries,
            self.resources,
            self.ray_address,
            self.ray_init,
            on_done=self._progress(len(plan), len(finished)),
        )
        wall = time.perf_counter() - start
        for failure in failures:
            error_log = out / "days" / failure.day / "error.log"
            error_log.parent.mkdir(parents=True, exist_ok=True)
            error_log.write_text(f"failed after {failure.attempts} attempts:\n{failure.error}\n")
            log.error(f"Search on {failure.day} failed {failure.attempts} times; left out ({error_log})")
        by_name = {**finished, **{r["day"]: r for r in done}}
        results = [by_name[d.name] for d in plan if d.name in by_name]
        if not results:
            raise RuntimeError(
                f"DistDNAS: every day's search failed: {[f.day for f in failures]} (see days/*/error.log)"
            )
        return results, [f.day for f in failures], wall

    def _executor(self, context: RunContext) -> str:
        if self.executor == "ray" and context.cfg.trainer.get("fast_dev_run"):
            log.warning("fast_dev_run: the days' searches run in-process, one after another, not on Ray")
            return "inprocess"
        return self.executor

    def _search_config(self, context: RunContext, folder: Path, executor: str) -> dict[str, Any]:
        """The config of the search in ``folder`` as plain data (resolved here, where Hydra's resolvers
        work; in a Ray worker, without progress bars)."""
        cfg = context.run_config(context.cfg.model, folder)
        with open_dict(cfg):
            cfg.trainer.merge_with(self.trainer_overrides)
            if executor == "ray":
                cfg.trainer.enable_progress_bar = False
                cfg.trainer.enable_model_summary = False
        return OmegaConf.to_container(cfg, resolve=True)

    def _progress(self, total: int, already: int) -> Callable[[dict[str, Any]], None]:
        """A callback that logs each finished day with how many of ``total`` are done."""
        count = [already]

        def report(result: dict[str, Any]) -> None:
            count[0] += 1
            auc = result["metrics"].get("val/auc")
            shown = f", val/auc {auc:.4f}" if auc is not None else ""
            log.info(
                f"Search on {result['day']} done ({count[0]}/{total}) in {result['wall_s']:.0f} s{shown}"
            )

        return report

    def _aggregate(self, context: RunContext, results: list[dict[str, Any]]) -> tuple[Arch, dict[str, Any]]:
        out = context.output_dir
        modules, inputs = aggregate_gates(results, self.weight_by_rows)
        arch = derive_arch(self.space, modules, inputs, self.threshold)
        arch.save(out / "distdnas_arch.json")
        write_json(
            out / "aggregated_gates.json",
            {
                "days": [r["day"] for r in results],
                "module_gates": modules.tolist(),
                "input_gates": inputs.tolist(),
                "modules": list(self.space.modules),
                "threshold": self.threshold,
                "arch": arch.hash,
            },
        )
        rows = [(r["day"], _array(r["module_gates"]), _array(r["input_gates"])) for r in results]
        plot_day_gates(
            self.space, [*rows, ("aggregated", modules, inputs)], self.threshold, out / "day_gates.png"
        )
        kept = sum(len(m) for m, _ in self.space.blocks(arch))
        log.info(f"Aggregated architecture {arch.hash}: {kept} modules kept ({out / 'distdnas_arch.json'})")
        return arch, {f"{self.name}/modules_kept": kept}

    def _sequential(
        self, context: RunContext, plan: list[DataDay], arch: Arch, metrics: dict[str, Any]
    ) -> list[Candidate]:
        """The single search over every day, timed; its architecture when it differs from ``arch``."""
        by_day = "train_days" in plan[0].data
        everything = {"train_days": [d for day in plan for d in day.data["train_days"]]} if by_day else {}
        day = DataDay("all_days", everything, sum(d.rows for d in plan))
        folder = context.output_dir / "sequential"
        config = self._search_config(context, folder, "inprocess")
        if self.sequential_gate_schedule == "stretched":
            config["model"]["arch_optimizer"]["lr"] /= len(plan)
            config["model"]["arch_warmup_steps"] *= len(plan)
        result = search_day(config, str(folder), day)
        found = derive_arch(self.space, result["module_gates"], result["input_gates"], self.threshold)
        found.save(context.output_dir / "sequential" / "arch.json")
        metrics[f"{self.name}/sequential_wall_s"] = result["wall_s"]
        metrics[f"{self.name}/sequential_same_arch"] = found == arch
        if found == arch:
            log.info("The sequential search derived the same architecture as the days' aggregate")
            return []
        costs = self._costs(context, context.output_dir / "sequential" / "arch.json")
        return [Candidate(found, {**costs, "searched_on": "all days in sequence"})]

    def _costs(self, context: RunContext, arch_file: Path) -> dict[str, float]:
        """FLOPs per example and dense parameters of the child of ``arch_file``."""
        resolved = context.model_config(child_config(context.cfg, self.child_key, arch_file))
        net = hydra.utils.instantiate(resolved.net)
        dense = torch.zeros(1, net.num_dense)
        sparse = torch.zeros(1, net.num_sparse, dtype=torch.long)
        return {
            "flops": count_flops(net, dense, sparse),
            "params": count_params(net, exclude=(nn.Embedding,)),
        }


def _array(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=float)

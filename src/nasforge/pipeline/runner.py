"""Run the stages an experiment names, resuming the ones a previous run already finished.

An experiment's ``pipeline.stages`` is a list of ``_target_`` blocks, each a :class:`Stage`. The
wiring (what each stage consumes from earlier ones) is checked before the first stage starts. Each
finished stage leaves ``stages/<name>.json``, its typed record; a run started again with the same
output directory (``hydra.run.dir=<that dir>``) skips those stages and hands their records to the next
ones, so nothing already computed is lost or repeated.

Under DDP the stages share out the processes as :mod:`nasforge.pipeline.distributed` describes: every
process walks the stages, fitting stages run on all of them, the rest on rank 0, and only rank 0
writes files.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import hydra
import lightning as L
import torch
from omegaconf import DictConfig, OmegaConf

from nasforge.pipeline.context import RunContext
from nasforge.pipeline.distributed import (
    check_one_run_folder,
    is_rank_zero,
    join_process_group,
    rank_label,
    wait_for_every_rank,
)
from nasforge.pipeline.json_io import write_json
from nasforge.pipeline.per_class import write_per_class_iou
from nasforge.pipeline.preflight import preflight
from nasforge.pipeline.results import ResultFileError, StageResult
from nasforge.pipeline.run_settings import check_run_folder
from nasforge.pipeline.wiring import Stage, check_wiring
from nasforge.utils.pylogger import RankedLogger, route_library_logs_to_root
from nasforge.utils.threads import use_torch_threads

__all__ = ["build_stages", "run"]

log = RankedLogger(__name__)


def build_stages(cfg: DictConfig) -> list[Stage]:
    """The stages of ``cfg.pipeline``, instantiated and checked to be wired correctly."""
    specs = cfg.get("pipeline", {}).get("stages")
    if not specs:
        raise ValueError(
            "The config names no pipeline stages: set `pipeline=<recipe>` (see configs/pipeline/)."
        )
    stages = [hydra.utils.instantiate(spec) for spec in specs]
    check_wiring(stages)
    return stages


def run(cfg: DictConfig) -> dict[str, Any]:
    """Run every stage of ``cfg.pipeline`` in order; return the merged metrics (also in metrics.json)."""
    preflight(cfg)
    use_torch_threads(cfg.get("torch_threads"))
    join_process_group(str(cfg.trainer.get("accelerator", "auto")), float(cfg.get("ddp_wait_hours", 24)))
    output_dir = Path(cfg.paths.output_dir)
    check_one_run_folder(str(output_dir))
    stages = build_stages(cfg)
    route_library_logs_to_root()  # after the stages imported their libraries
    # before config.yaml is written, so that it never claims settings the results did not come from
    check_run_folder(cfg, stages, output_dir, may_write=is_rank_zero())
    if is_rank_zero():
        output_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(cfg, output_dir / "config.yaml", resolve=True)
    wait_for_every_rank()
    if cfg.get("seed") is not None:
        L.seed_everything(cfg.seed, workers=True)

    context = RunContext(cfg=cfg, output_dir=output_dir)
    # CPU results depend on it (the order of floating-point sums), so a result names it
    context.info["torch_threads"] = torch.get_num_threads()
    for note in filter(None, cfg.get("notes") or []):
        log.warning(note)
        context.info.setdefault("notes", []).append(str(note))
    started = time.perf_counter()
    try:
        for stage in stages:
            context.results[stage.name] = _stage_result(stage, context, output_dir)
    except Exception:
        error_log = output_dir / ("error.log" if is_rank_zero() else f"error.rank{rank_label()}.log")
        error_log.parent.mkdir(parents=True, exist_ok=True)
        error_log.write_text(traceback.format_exc())
        log.error(f"Run failed; traceback saved to {error_log}")
        raise
    finally:
        _close_wandb()

    metrics: dict[str, Any] = {}
    for result in context.results.values():
        metrics.update(result.metrics)
    summary = {**metrics, **context.info, "elapsed_s": round(time.perf_counter() - started, 2)}
    if is_rank_zero():
        write_json(output_dir / "metrics.json", summary)
        log.info(f"Metrics written to {output_dir / 'metrics.json'}")
        write_per_class_iou(summary, output_dir / "per_class_iou.csv")
        log.info(_where_results_are(output_dir))
    return summary


def _where_results_are(output_dir: Path) -> str:
    """One line naming the run's result files for a person: the metrics, the best architecture and
    the plots at the top of the run folder."""
    names = [
        "metrics.json",
        "best_arch.json",
        "per_class_iou.csv",
        *sorted(p.name for p in output_dir.glob("*.png")),
    ]
    found = [name for name in names if (output_dir / name).is_file()]
    return f"Results in {output_dir}: {', '.join(found)}"


def _stage_result(stage: Stage, context: RunContext, output_dir: Path) -> StageResult:
    """The stage's record: reused if finished, else computed. Under DDP the record every process
    hands on is rank 0's, read back from its marker once rank 0 has written it."""
    result = _finished_result(stage, output_dir)
    if result is not None:
        return result
    # No process writes a marker until all have looked for it, so all take the same branch.
    wait_for_every_rank()
    if is_rank_zero() or getattr(stage, "runs_on_every_rank", False):
        result = _run_stage(stage, context, output_dir)
    wait_for_every_rank()
    if is_rank_zero():
        return result
    result = _finished_result(stage, output_dir)
    if result is None:
        raise RuntimeError(
            f"Stage {stage.name!r} runs on rank 0 only, and process {rank_label()} found neither its record "
            f"in {output_dir / 'stages'} nor a process group to wait on: start every process of a "
            "multi-node run with torchrun or srun (see the README's DDP section)"
        )
    return result


def _marker(stage: Stage, output_dir: Path) -> Path:
    return output_dir / "stages" / f"{stage.name}.json"


def _finished_result(stage: Stage, output_dir: Path) -> StageResult | None:
    """The record a previous run of this folder left for ``stage``, if it finished."""
    marker = _marker(stage, output_dir)
    if not marker.is_file():
        return None
    log.info(f"Stage '{stage.name}' already finished in {output_dir}; reusing its results")
    try:
        data = json.loads(marker.read_text())
    except json.JSONDecodeError as error:
        raise ResultFileError(
            f"{marker}: not valid JSON ({error}); delete it to run that stage again"
        ) from error
    return stage.produces.from_json(data, source=marker)


def _run_stage(stage: Stage, context: RunContext, output_dir: Path) -> StageResult:
    log.info(f"Stage '{stage.name}' <{type(stage).__module__}.{type(stage).__name__}> starting")
    result = stage.run(context)
    if not isinstance(result, stage.produces):
        raise TypeError(
            f"Stage {stage.name!r} ({type(stage).__name__}) returned a {type(result).__name__}, "
            f"not the {stage.produces.__name__} it declares"
        )
    if is_rank_zero():
        write_json(_marker(stage, output_dir), result.to_json())
    return result


def _close_wandb() -> None:
    """Finish a W&B run if one was started, so a multirun starts the next job cleanly."""
    wandb = sys.modules.get("wandb")
    if wandb is not None and getattr(wandb, "run", None) is not None:
        wandb.finish()

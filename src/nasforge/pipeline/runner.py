"""Run the stages an experiment names, resuming the ones a previous run already finished.

An experiment's ``pipeline.stages`` is a list of ``_target_`` blocks, each a :class:`Stage`. The
wiring (what each stage consumes from earlier ones) is checked before the first stage starts. Each
finished stage leaves ``stages/<name>.json``, its typed record; a run started again with the same
output directory (``hydra.run.dir=<that dir>``) skips those stages and hands their records to the next
ones, so nothing already computed is lost or repeated.
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
from omegaconf import DictConfig, OmegaConf

from nasforge.pipeline.context import RunContext
from nasforge.pipeline.json_io import write_json
from nasforge.pipeline.results import ResultFileError, StageResult
from nasforge.pipeline.wiring import Stage, check_wiring
from nasforge.utils.pylogger import RankedLogger, route_lightning_logs_to_root

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
    route_lightning_logs_to_root()
    output_dir = Path(cfg.paths.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(cfg, output_dir / "config.yaml", resolve=True)
    if cfg.get("seed") is not None:
        L.seed_everything(cfg.seed, workers=True)

    context = RunContext(cfg=cfg, output_dir=output_dir)
    for note in filter(None, cfg.get("notes") or []):
        log.warning(note)
        context.info.setdefault("notes", []).append(str(note))
    started = time.perf_counter()
    try:
        for stage in build_stages(cfg):
            context.results[stage.name] = _finished_result(stage, output_dir) or _run_stage(
                stage, context, output_dir
            )
    except Exception:
        (output_dir / "error.log").write_text(traceback.format_exc())
        log.error(f"Run failed; traceback saved to {output_dir / 'error.log'}")
        raise
    finally:
        _close_wandb()

    metrics: dict[str, Any] = {}
    for result in context.results.values():
        metrics.update(result.metrics)
    summary = {**metrics, **context.info, "elapsed_s": round(time.perf_counter() - started, 2)}
    write_json(output_dir / "metrics.json", summary)
    log.info(f"Metrics written to {output_dir / 'metrics.json'}")
    return summary


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
    write_json(_marker(stage, output_dir), result.to_json())
    return result


def _close_wandb() -> None:
    """Finish a W&B run if one was started, so a multirun starts the next job cleanly."""
    wandb = sys.modules.get("wandb")
    if wandb is not None and getattr(wandb, "run", None) is not None:
        wandb.finish()

"""The settings a run folder's results were computed with, so that a rerun with other settings is
refused instead of reusing results they did not produce.

``settings.json`` holds the settings that decide results (the resolved config without paths,
loggers, progress bars and other presentation) once the folder has finished stages. A rerun in that
folder with different settings stops before the first stage, naming the keys that differ and the two
ways out: a new folder, or ``recompute_from=<stage>``, which recomputes that stage and the ones after
it with the new settings (their markers are removed and their resumable files set aside) and keeps
the earlier ones.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from nasforge.pipeline.json_io import write_json
from nasforge.pipeline.wiring import Stage
from nasforge.utils.pylogger import RankedLogger

__all__ = [
    "SETTINGS_FILE",
    "StaleRunFolderError",
    "check_run_folder",
    "deciding_settings",
    "setting_differences",
    "summarize_differences",
]

log = RankedLogger(__name__)

#: where a run folder keeps the settings its finished stages were computed with
SETTINGS_FILE = Path("settings.json")

# Keys (and every key below them) that change where or how a run reports, never what it computes.
_PRESENTATION = (
    "hydra",
    "paths",
    "logger",
    "notes",
    "tags",
    "task_name",
    "optimized_metric",
    "ckpt_path",
    "ddp_wait_hours",
    "torch_threads",
    "recompute_from",
    "callbacks.model_summary",
    "callbacks.rich_progress_bar",
    "callbacks.lr_monitor",
    "trainer.default_root_dir",
    "trainer.enable_progress_bar",
    "trainer.enable_model_summary",
    "trainer.log_every_n_steps",
    "data.cache_dir",
    "data.synthetic_dir",
    "data.num_workers",
    "data.pin_memory",
    "data.progress",
)


class StaleRunFolderError(RuntimeError):
    """A run folder whose finished stages were computed with other settings than this run's."""


def deciding_settings(cfg: DictConfig) -> dict[str, Any]:
    """The resolved settings that decide a run's results, as ``{dotted key: value}``."""
    flat: dict[str, Any] = {}
    _flatten(OmegaConf.to_container(cfg, resolve=True), "", flat)
    return {key: value for key, value in flat.items() if not _is_presentation(key)}


def check_run_folder(cfg: DictConfig, stages: Sequence[Stage], output_dir: Path, may_write: bool) -> None:
    """Refuse a folder whose finished stages were computed with other settings, or act on
    ``cfg.recompute_from``; record this run's settings when the folder has none yet.

    Args:
        cfg: this run's config.
        stages: the pipeline's stages, in order.
        output_dir: the run folder.
        may_write: whether this process writes the folder's files (rank 0).

    Raises:
        StaleRunFolderError: naming the differing keys and the two ways out.
        ValueError: when ``recompute_from`` names no stage of the pipeline.
    """
    names = [stage.name for stage in stages]
    recompute_from = cfg.get("recompute_from")
    if recompute_from is not None and recompute_from not in names:
        raise ValueError(
            f"recompute_from={recompute_from!r} names no stage of this pipeline ({', '.join(names)})"
        )
    settings = deciding_settings(cfg)
    finished = [name for name in names if (output_dir / "stages" / f"{name}.json").is_file()]
    settings_file = output_dir / SETTINGS_FILE
    if finished and not settings_file.is_file():
        log.warning(f"{output_dir} holds finished stages but no record of their settings: reused unchecked")
        return
    recorded = json.loads(settings_file.read_text()) if settings_file.is_file() else settings
    differences = setting_differences(recorded, settings) if finished else []
    if differences and recompute_from is None:
        raise StaleRunFolderError(
            f"{output_dir} holds stages ({', '.join(finished)}) computed with other settings "
            f"({summarize_differences(differences)}): run in a new "
            "folder (leave out hydra.run.dir), or recompute from a stage on with "
            f"+recompute_from=<stage> ({', '.join(names)})"
        )
    if not may_write:
        return
    if recompute_from is not None:
        _set_aside(stages[names.index(recompute_from) :], output_dir)
        log.warning(
            f"Recomputing from stage '{recompute_from}' on with this run's settings"
            + (f" ({summarize_differences(differences)})" if differences else "")
        )
    write_json(settings_file, settings)


def _set_aside(stages: Sequence[Stage], output_dir: Path) -> None:
    """Remove these stages' markers and rename their resumable files, so they start afresh."""
    for stage in stages:
        (output_dir / "stages" / f"{stage.name}.json").unlink(missing_ok=True)
        for relative in getattr(stage, "writes", ()):
            path = output_dir / relative
            if path.exists():
                path.rename(_free_aside_name(path))


def _free_aside_name(path: Path) -> Path:
    """``<name>.before-recompute``, or ``-2``, ``-3``, ... after it where an earlier recompute left
    one: a second recompute keeps the first one's files too."""
    aside = path.with_name(path.name + ".before-recompute")
    number = 2
    while aside.exists():
        aside = path.with_name(f"{path.name}.before-recompute-{number}")
        number += 1
    return aside


def setting_differences(recorded: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """``key: recorded -> current`` for every key whose value differs (``<unset>`` where missing)."""
    return [
        f"{key}: {recorded.get(key, '<unset>')} -> {current.get(key, '<unset>')}"
        for key in sorted(set(recorded) | set(current))
        if recorded.get(key) != current.get(key)
    ]


def summarize_differences(differences: Sequence[str], shown: int = 5) -> str:
    """The first ``shown`` differences, ``; ``-separated, with ``...`` when there are more."""
    return "; ".join(differences[:shown]) + ("; ..." if len(differences) > shown else "")


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    else:
        out[prefix] = value


def _is_presentation(key: str) -> bool:
    return any(key == p or key.startswith(p + ".") for p in _PRESENTATION)

"""One search on one day's data: what a Ray task (or the driver itself) runs."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from omegaconf import OmegaConf, open_dict

from nasforge.pipeline import RunContext, train_in_folder
from nasforge.pipeline.json_io import write_json
from nasforge.recsys.distdnas.days import DataDay
from nasforge.recsys.distdnas.network import gates_from_logits

__all__ = ["GATES_FILE", "LOG_FILE", "search_day"]

#: what a finished search leaves in its folder: its gates, rows, metrics and wall time
GATES_FILE = "gates.json"
#: the search's log, in its folder (a Ray worker's console does not reach the driver)
LOG_FILE = "search.log"


@contextlib.contextmanager
def _logged_to(path: Path) -> Iterator[None]:
    """Copy the root logger's and Lightning's records to ``path`` while the block runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"))
    loggers = [logging.getLogger(), logging.getLogger("lightning.pytorch")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(min(logger.getEffectiveLevel(), logging.INFO))
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
        handler.close()


def search_day(cfg: dict[str, Any], folder: str, day: DataDay, threads: int | None = None) -> dict[str, Any]:
    """Train the gated supernet of ``cfg.model`` on ``day``'s data as its own run in ``folder`` (an
    interrupted one resumes from its checkpoint) and write its gates to ``folder/gates.json``.

    Args:
        cfg: the run's config, resolved to plain data (it travels to a Ray worker).
        folder: the search's run folder.
        day: the data it trains on.
        threads: torch threads of this search (default: None, torch's own choice).

    Returns:
        ``day``, ``rows``, ``wall_s``, ``metrics``, ``module_gates`` and ``input_gates``.
    """
    if threads:
        torch.set_num_threads(int(threads))
    run_cfg = OmegaConf.create(cfg)
    with open_dict(run_cfg):
        run_cfg.data.merge_with(day.data)
    context = RunContext(cfg=run_cfg, output_dir=Path(folder).parent)
    start = time.perf_counter()
    with _logged_to(Path(folder) / LOG_FILE):
        record = train_in_folder(context, run_cfg.model, Path(folder), f"Search on {day.name}")
    state = torch.load(record["weights"], map_location="cpu", weights_only=True)
    module_gates, input_gates = gates_from_logits(state["module_logits"], state["input_logits"])
    result = {
        "day": day.name,
        "rows": day.rows,
        "wall_s": time.perf_counter() - start,
        "metrics": record["metrics"],
        "module_gates": module_gates.tolist(),
        "input_gates": input_gates.tolist(),
    }
    write_json(Path(folder) / GATES_FILE, result)
    return result

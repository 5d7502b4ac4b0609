"""Lightning's model summary without FLOPs it did not count.

Lightning counts FLOPs by running ``example_input_array``, which the modules here leave unset (their
inputs come from the data), so its summary printed ``Total FLOPs: 0`` and a column of zeros. The
measured FLOPs of an architecture are in the search history and the run's metrics instead.
"""

from __future__ import annotations

import logging
from typing import Any

from lightning.pytorch.callbacks import ModelSummary
from lightning.pytorch.utilities.model_summary.model_summary import _format_summary_table

__all__ = ["CountedModelSummary"]

log = logging.getLogger(__name__)


class CountedModelSummary(ModelSummary):
    """:class:`~lightning.pytorch.callbacks.ModelSummary` (a plain table, so it also reaches log
    files) that shows FLOPs only when Lightning counted some."""

    @staticmethod
    def summarize(
        summary_data: list[tuple[str, list[str]]],
        total_parameters: int,
        trainable_parameters: int,
        model_size: float,
        total_training_modes: dict[str, int],
        total_flops: int,
        **summarize_kwargs: Any,
    ) -> None:
        columns = summary_data if total_flops else [c for c in summary_data if c[0] != "FLOPs"]
        table = _format_summary_table(
            total_parameters, trainable_parameters, model_size, total_training_modes, total_flops, *columns
        )
        if not total_flops:
            table = "\n".join(line for line in table.splitlines() if not line.endswith("Total Flops"))
        log.info("\n" + table)

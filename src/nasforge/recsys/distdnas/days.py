"""Which data each day's search trains on: the data's own days, or equal pseudo-days without dates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nasforge.recsys.data.split import day_partition

__all__ = ["DataDay", "plan_days"]


@dataclass(frozen=True)
class DataDay:
    """One search's training data.

    Args:
        name: its folder name under ``days/`` (``day_3``, or ``part_0_of_4`` for a pseudo-day).
        data: ``cfg.data`` keys that select it (``train_days`` or ``train_part``).
        rows: its training rows (the aggregation can weight days by them).
    """

    name: str
    data: dict[str, Any] = field(default_factory=dict)
    rows: int = 0


def plan_days(
    datamodule: Any, days: Sequence[int] | None, pseudo_days: int, max_days: int | None
) -> list[DataDay]:
    """The searches to run on ``datamodule``'s training data.

    Data split by day (``data.split=day``) gives one search per training day (``days``, default: the
    data's training days); other data gives ``pseudo_days`` equal shares of its training rows. At most
    ``max_days`` searches are kept (the first ones; None: all).

    Raises:
        ValueError: a day that is not a training day of the data, or fewer than one search.
    """
    train = datamodule.split_segments()["train"]
    if datamodule.hparams.split == "day":
        rows = {s.part: 0 for s in train}
        for s in train:
            rows[s.part] += len(s)
        available = [int(p.split("_", 1)[1]) for p in rows]
        chosen = list(days) if days is not None else available
        unknown = [d for d in chosen if d not in available]
        if unknown:
            raise ValueError(
                f"DistDNAS: days {unknown} are not training days of the data; its training days are "
                f"{available} (the last day of the data is kept for validation and test)"
            )
        plan = [DataDay(day_partition(d), {"train_days": [d]}, rows[day_partition(d)]) for d in chosen]
    else:
        if days is not None:
            raise ValueError(
                "DistDNAS: `days` needs data split by day (data.split=day); this data has no dates, so "
                "set `pseudo_days` instead"
            )
        if pseudo_days < 1:
            raise ValueError(f"DistDNAS: pseudo_days must be at least 1, got {pseudo_days}")
        total = sum(len(s) for s in train)
        plan = [
            DataDay(
                f"part_{i}_of_{pseudo_days}",
                {"train_part": [i, pseudo_days]},
                (i + 1) * total // pseudo_days - i * total // pseudo_days,
            )
            for i in range(pseudo_days)
        ]
    plan = plan[:max_days] if max_days else plan
    if not plan:
        raise ValueError("DistDNAS: no day to search")
    return plan

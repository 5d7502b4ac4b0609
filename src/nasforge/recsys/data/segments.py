"""Which rows of the cache each of train/val/test uses: partitions, days, and quick-run limits."""

from __future__ import annotations

from collections.abc import Sequence

from nasforge.recsys.data.cache import CacheInfo
from nasforge.recsys.data.dataset import Segment
from nasforge.recsys.data.split import RANDOM_PARTS, day_partition

__all__ = ["split_segments"]


def split_segments(
    info: CacheInfo,
    split: str,
    train_days: Sequence[int] | None = None,
    val_days: Sequence[int] | None = None,
    test_days: Sequence[int] | None = None,
    *,
    train_part: Sequence[int] | None = None,
    fraction: float = 1.0,
    max_samples: int | None = None,
) -> dict[str, list[Segment]]:
    """Row ranges of train/val/test; each split keeps its leading ``fraction`` (at most ``max_samples``).

    ``train_part=(i, n)`` keeps the ``i``-th of ``n`` equal consecutive shares of the training rows:
    a pseudo-day of data without dates (the random split's training rows are already shuffled).

    ``split="day"`` defaults: train = all days but the last, val = first half of the last day,
    test = its second half (the DLRM Terabyte convention). Give ``val_days`` and ``test_days``
    together to choose whole days instead; a day may not be in train and in val/test.
    """
    if split == "random":
        full = {p: [Segment(info.path, p, 0, info.rows(p))] for p in RANDOM_PARTS}
    else:
        full = _day_segments(info, train_days, val_days, test_days)
    if train_part is not None:
        full["train"] = _part(full["train"], *train_part)
    return {name: _limit(segs, fraction, max_samples) for name, segs in full.items()}


def _part(segments: list[Segment], index: int, count: int) -> list[Segment]:
    """Rows ``[index * total // count, (index + 1) * total // count)`` of the segments' rows."""
    total = sum(len(s) for s in segments)
    lo, hi = index * total // count, (index + 1) * total // count
    out, offset = [], 0
    for s in segments:
        start, stop = max(lo - offset, 0), min(hi - offset, len(s))
        if start < stop:
            out.append(Segment(s.folder, s.part, s.start + start, s.start + stop))
        offset += len(s)
    return out


def _whole(info: CacheInfo, days: Sequence[int]) -> list[Segment]:
    return [Segment(info.path, day_partition(d), 0, info.rows(day_partition(d))) for d in days]


def _day_segments(
    info: CacheInfo,
    train_days: Sequence[int] | None,
    val_days: Sequence[int] | None,
    test_days: Sequence[int] | None,
) -> dict[str, list[Segment]]:
    days = list(info.meta["days"])
    if (val_days is None) != (test_days is None):
        raise ValueError("CTRDataModule: give both val_days and test_days, or neither (last day, halved)")
    train = list(train_days) if train_days is not None else days[:-1]
    for name, chosen in (("train_days", train), ("val_days", val_days), ("test_days", test_days)):
        unknown = [d for d in (chosen or []) if d not in days]
        if unknown:
            raise ValueError(f"CTRDataModule: {name} {unknown} not in the data; days present: {days}")
    if val_days is None:
        if days[-1] in train:
            raise ValueError(
                f"CTRDataModule: train_days includes the last day {days[-1]}, which the default "
                "val/test use; set val_days and test_days"
            )
        last = day_partition(days[-1])
        n = info.rows(last)
        return {
            "train": _whole(info, train),
            "val": [Segment(info.path, last, 0, n // 2)],
            "test": [Segment(info.path, last, n // 2, n)],
        }
    overlap = set(train) & (set(val_days) | set(test_days))
    if overlap:
        raise ValueError(f"CTRDataModule: days {sorted(overlap)} are in train_days and in val/test days")
    return {"train": _whole(info, train), "val": _whole(info, val_days), "test": _whole(info, test_days)}


def _limit(segments: list[Segment], fraction: float, max_samples: int | None) -> list[Segment]:
    """The leading ``fraction`` of the rows (at least one), capped at ``max_samples``."""
    total = sum(len(s) for s in segments)
    keep = max(int(total * fraction), min(total, 1))
    if max_samples is not None:
        keep = min(keep, max_samples)
    out = []
    for s in segments:
        take = min(len(s), keep)
        if take > 0:
            out.append(Segment(s.folder, s.part, s.start, s.start + take))
        keep -= take
    return out

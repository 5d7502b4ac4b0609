"""The CircuitNet feature channels of the DRC and congestion tasks, and picking a subset by name."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["CONGESTION_CHANNELS", "DRC_CHANNELS", "TASK_CHANNELS", "channel_indices", "task_channels"]

#: Channel order of a stacked CircuitNet DRC feature tile ``[H, W, 9]`` (CircuitNet's
#: ``generate_training_set.py``, DRC task): macro region, cell density, long/short-net RUDY, pin RUDY,
#: early global-routing (eGR) overflow and global-routing (GR) overflow, horizontal and vertical.
DRC_CHANNELS: tuple[str, ...] = (
    "macro_region",
    "cell_density",
    "RUDY_long",
    "RUDY_short",
    "RUDY_pin_long",
    "congestion_eGR_horizontal_overflow",
    "congestion_eGR_vertical_overflow",
    "congestion_GR_horizontal_overflow",
    "congestion_GR_vertical_overflow",
)

#: Channel order of a stacked CircuitNet congestion feature tile ``[H, W, 3]`` (its label is the
#: global-routing overflow map): macro region, RUDY and pin RUDY.
CONGESTION_CHANNELS: tuple[str, ...] = ("macro_region", "RUDY", "RUDY_pin")

#: the feature channels of each CircuitNet routability task
TASK_CHANNELS: dict[str, tuple[str, ...]] = {"drc": DRC_CHANNELS, "congestion": CONGESTION_CHANNELS}


def task_channels(task: str) -> tuple[str, ...]:
    """The feature channels of CircuitNet task ``task`` (``"drc"`` or ``"congestion"``)."""
    if task not in TASK_CHANNELS:
        raise ValueError(f"Unknown routability task '{task}'; choose from {list(TASK_CHANNELS)}")
    return TASK_CHANNELS[task]


def channel_indices(channels: Sequence[str] | None, available: Sequence[str] = DRC_CHANNELS) -> list[int]:
    """Positions of ``channels`` in ``available`` (all of them for ``None``).

    Raises:
        ValueError: an unknown or repeated channel name (the message lists the valid ones).
    """
    if channels is None:
        return list(range(len(available)))
    unknown = [name for name in channels if name not in available]
    if unknown:
        raise ValueError(f"Unknown routability channel(s) {unknown}; choose from {list(available)}")
    if len(set(channels)) != len(channels):
        raise ValueError(f"Routability channels repeat a name: {list(channels)}")
    if not channels:
        raise ValueError("Routability channels: the list is empty; pass null for all channels")
    return [available.index(name) for name in channels]

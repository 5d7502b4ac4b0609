"""The CircuitNet DRC feature channels and picking a subset of them by name."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["DRC_CHANNELS", "channel_indices"]

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

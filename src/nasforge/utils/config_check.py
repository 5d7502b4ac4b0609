"""Check config-group choices on the command line before Hydra composes anything.

Hydra's own error for an unknown group option is several lines and, with ``HYDRA_FULL_ERROR``, a
stack trace. A researcher who mistyped ``experiment=nasrec_crteo`` should get one line that lists
what exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["available_options", "unknown_choice_message"]

from nasforge.utils.resolvers import PROFILES

CHECKED_GROUPS = (
    "experiment",
    "data",
    "model",
    "trainer",
    "logger",
    "callbacks",
    "pipeline",
    "debug",
    "search",
    "hardware",
)


def available_options(config_dir: Path, group: str) -> list[str]:
    """Names of the YAML files directly in ``group``, sorted.

    Files whose name starts with ``_`` are shared bases that other files of the group extend, and
    sub-folders are groups of their own (``model/optim``), so neither is a choice for ``group=``.
    """
    root = config_dir / group
    return sorted(p.stem for p in root.glob("*.yaml") if not p.name.startswith("_"))


def unknown_choice_message(
    overrides: Sequence[str], config_dir: Path, groups: Iterable[str] = CHECKED_GROUPS
) -> str | None:
    """Return a one-line error for the first ``group=option`` override naming no file, else ``None``.

    Only plain assignments are checked (``group=a`` and ``+group=a``); sweeps (``a,b``), globs and
    ``null`` are left to Hydra.
    """
    for override in overrides:
        key, sep, value = override.lstrip("+~").partition("=")
        if key == "profile" and sep and value not in PROFILES:
            return f"error: unknown profile '{value}'; available: {', '.join(PROFILES)}"
        if not sep or key not in groups or value in ("", "null", "None"):
            continue
        if any(ch in value for ch in ",*()[]{}"):
            continue
        options = available_options(config_dir, key)
        if options and value not in options:
            return f"error: unknown {key} '{value}'; available: {', '.join(options)}"
    return None

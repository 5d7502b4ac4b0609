"""Decide which data a run reads: the user's, the default location, or a generated sample.

A path the user names must exist. With no path, the dataset's default location is used; when that is
absent too, a synthetic sample in the dataset's own format is written once under ``synthetic_dir``
(atomically, through a private temporary folder) and read through the same reader, and the run is
marked as generated. Every domain's DataModules share this; each supplies its own ``write_sample`` callback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nasforge.core.atomic_folder import building

__all__ = ["DataSource", "resolve_source"]


@dataclass(frozen=True)
class DataSource:
    """The raw input of a run and whether it is a generated sample."""

    path: str
    generated: bool
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _generated_sample(folder: Path, write_sample: Callable[[Path], None]) -> Path:
    if not folder.is_dir():
        with building(folder, Path.is_dir) as tmp:
            write_sample(tmp)
    return folder


def resolve_source(
    dataset: str,
    path: str | None,
    default_path: str | None,
    synthetic_dir: str | None,
    sample_name: str,
    write_sample: Callable[[Path], None] | None,
    description: str = "a generated sample",
    generation_hint: str = "switch sample generation on in the data config",
) -> DataSource:
    """Pick the raw input of a run (see the module docstring).

    Args:
        dataset: name used in messages.
        path: the user's data path; must exist when given.
        default_path: where the dataset lives by default.
        synthetic_dir: parent folder of generated samples.
        sample_name: folder name of this sample under ``synthetic_dir``; encode every generator
            setting in it, so changed settings write a new sample.
        write_sample: writes the sample into the folder it is given; ``None`` switches generation off.
        description: what the sample is, for the note (default: "a generated sample").
        generation_hint: how to switch generation on, for the error when it is off
            (e.g. "set data.synthetic_rows=<n>").

    Raises:
        FileNotFoundError: ``path`` is given but missing, or nothing is available and generation is off.
    """
    if path is not None:
        if not Path(path).exists():
            raise FileNotFoundError(
                f"{dataset}: data.path={path} does not exist. Point data.path at the raw data, or leave it "
                f"unset to use {default_path} or a generated sample."
            )
        return DataSource(path=str(path), generated=False)
    if default_path is not None and Path(default_path).exists():
        return DataSource(path=str(default_path), generated=False)
    if write_sample is None or synthetic_dir is None:
        raise FileNotFoundError(
            f"{dataset}: no data at {default_path}. Put the dataset there, pass data.path=<path>, "
            f"or {generation_hint}."
        )
    sample = _generated_sample(Path(synthetic_dir) / sample_name, write_sample)
    note = (
        f"{default_path} is absent, so this run uses {description} in the {dataset} layout with a planted "
        f"signal. Put the real dataset at {default_path} or pass data.path=<path> for real results."
    )
    return DataSource(path=str(sample), generated=True, note=note)

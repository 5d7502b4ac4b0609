"""Adopt another run's finished training of the same model instead of training it again.

A study that trains many models stand-alone (the ranking study's random architectures) costs most of
its run, and ablations that change only what comes before it would train the same models again. A
training is adopted only when the settings that decide it (the model, the data, the trainer, the
callbacks and the seed) are the ones this run would train it with, so a result is never reused for
settings it was not computed with.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from nasforge.pipeline.distributed import is_rank_zero, wait_for_every_rank
from nasforge.pipeline.run_settings import deciding_settings, setting_differences, summarize_differences

__all__ = ["TRAINING_KEYS", "TrainedOtherwiseError", "adopt_finished_training"]

#: top-level config keys that decide what a training computes
TRAINING_KEYS = ("model", "data", "trainer", "callbacks", "seed")

#: the files of a finished training that name its folder
_FILES_NAMING_THE_FOLDER = ("result.json", "config.yaml")


class TrainedOtherwiseError(ValueError):
    """A finished training offered for reuse that was trained with other settings."""


def adopt_finished_training(source: Path, folder: Path, run_cfg: DictConfig, marker: str) -> bool:
    """Copy the finished training in ``source`` (its ``marker`` file written) into ``folder``, if it
    was trained with the settings ``run_cfg`` would train it with in ``folder``; paths into
    the folder it ran in, in its record and config, are rewritten to ``folder``.

    Returns:
        ``False`` when ``source`` holds no finished training (train as usual), ``True`` once copied.

    Raises:
        TrainedOtherwiseError: naming ``source`` and the settings that differ (or saying that its
            config is missing).
    """
    if not (source / marker).is_file():
        return False
    config = source / "config.yaml"
    if not config.is_file():
        raise TrainedOtherwiseError(
            f"{source} holds a finished training but no config.yaml to tell how it was trained"
        )
    trained_in = _trained_in(source, marker)
    theirs = _training_settings(OmegaConf.load(config), trained_in)
    ours = _training_settings(run_cfg, folder)
    differences = setting_differences(theirs, ours)
    if differences:
        raise TrainedOtherwiseError(
            f"{source} was trained with other settings than this run's "
            f"({summarize_differences(differences)}): reuse a run trained alike, or leave the "
            "reuse out to train it here"
        )
    if is_rank_zero():
        if folder.exists():  # this run's own unfinished attempt
            shutil.rmtree(folder)
        shutil.copytree(source, folder)
        for name in _FILES_NAMING_THE_FOLDER:
            path = folder / name
            if path.is_file():
                path.write_text(path.read_text().replace(str(trained_in), str(folder)))
    wait_for_every_rank()
    return True


def _trained_in(source: Path, marker: str) -> Path:
    """The folder the training ran in, as its record names it (``folder``): ``source`` unless the
    training was moved since, as ``recompute_from`` moves a study aside or a user copies a run."""
    try:
        recorded = json.loads((source / marker).read_text()).get("folder")
    except (ValueError, AttributeError):  # a marker that is not a JSON record
        recorded = None
    return Path(recorded) if isinstance(recorded, str) else source


def _training_settings(cfg: DictConfig, folder: Path) -> dict[str, Any]:
    """The deciding settings under :data:`TRAINING_KEYS`, with the training's own folder named alike
    whatever its place."""
    return {
        key: value.replace(str(folder), "<folder>") if isinstance(value, str) else value
        for key, value in deciding_settings(cfg).items()
        if key.split(".", 1)[0] in TRAINING_KEYS
    }

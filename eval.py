"""Evaluate a checkpoint on the test split: `python eval.py ckpt_path=<run>/checkpoints/<file>.ckpt`.

The model and data are rebuilt from the training run's `config.yaml`; `+data.<key>=<value>`
overrides the data (e.g. another test file).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from nasforge.entry import check_command_line
from nasforge.utils.resolvers import register_resolvers

PROJECT_ROOT = Path(__file__).resolve().parent
os.environ.setdefault("PROJECT_ROOT", str(PROJECT_ROOT))
register_resolvers()


@hydra.main(version_base="1.3", config_path="configs", config_name="eval.yaml")
def main(cfg: DictConfig) -> None:
    from nasforge.retest import retest_checkpoint

    retest_checkpoint(cfg)


if __name__ == "__main__":
    check_command_line(sys.argv[1:], PROJECT_ROOT / "configs")
    main()

"""Does evolving distillation steady DCSOD's labels? The same architectures are labelled twice, with two
proxy-training seeds, once without a teacher and once with the evolving teacher; a label set that
ranks the architectures alike under both seeds (Kendall tau across seeds) measures the architecture
rather than the seed.

Everything comes from ``experiment=dcsod_cifar10``'s composed config (its profile, data, space,
evaluator and teacher settings), so the figure is about the schedule the pipeline runs. Prints one
JSON object per figure.

    python benchmarks/dcsod_seed_stability.py [--archs 16] [--seeds 0 1] [--profile quick]
    python benchmarks/dcsod_seed_stability.py --distillation off csco.profiles.quick.proxy_steps=80

Trailing arguments are Hydra overrides of that config (a longer proxy schedule, another teacher).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import hydra
import numpy as np
from _env import environment
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from nasforge.core.predictors.kendall_tau import kendall_tau
from nasforge.pipeline.data import build_datamodule
from nasforge.utils.resolvers import register_resolvers

ROOT = Path(__file__).resolve().parents[1]


def _config(profile: str, overrides: list[str]) -> DictConfig:
    register_resolvers()
    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        return compose(
            config_name="train",
            overrides=[
                "experiment=dcsod_cifar10",
                f"profile={profile}",
                f"paths.root_dir={ROOT}",
                "dcsod.teacher.checkpoint=null",  # every pass starts with a fresh teacher
                *overrides,
            ],
        )


def _labels(cfg: DictConfig, space, datamodule, archs, seed: int, distill: bool) -> tuple[list[float], float]:
    """AUROC labels of ``archs`` in order, by a fresh evaluator (and a fresh teacher when ``distill``)."""
    teacher = hydra.utils.instantiate(cfg.dcsod.teacher) if distill else None
    evaluator = hydra.utils.instantiate(cfg.evaluator, teacher=teacher)(
        space=space, datamodule=datamodule, seed=seed, device="cpu"
    )
    start = time.perf_counter()
    labels = [evaluator(arch)["auroc"] for arch in archs]
    return labels, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--archs", type=int, default=16, help="architectures labelled (default: 16)")
    parser.add_argument("--seeds", type=int, nargs=2, default=[0, 1], help="the two proxy seeds")
    parser.add_argument("--profile", default="quick", help="CSCO/DCSOD profile (default: quick)")
    parser.add_argument(
        "--distillation",
        choices=["both", "off", "on"],
        default="both",
        help="label without the teacher, with it, or both (default: both)",
    )
    parser.add_argument("overrides", nargs="*", help="Hydra overrides of experiment=dcsod_cifar10")
    args = parser.parse_args()
    cfg = _config(args.profile, args.overrides)
    datamodule = build_datamodule(cfg.data)
    space = hydra.utils.instantiate(cfg.space)
    rng = np.random.default_rng(0)
    archs = [space.sample(rng) for _ in range(args.archs)]
    env = environment()
    for distill in {"both": (False, True), "off": (False,), "on": (True,)}[args.distillation]:
        runs = [_labels(cfg, space, datamodule, archs, seed, distill) for seed in args.seeds]
        (first, first_s), (second, second_s) = runs
        print(
            json.dumps(
                {
                    "figure": "dcsod_seed_stability",
                    "distillation": distill,
                    "archs": args.archs,
                    "seeds": args.seeds,
                    "kendall_tau_across_seeds": round(kendall_tau(first, second), 4),
                    "label_mean": round(float(np.mean(first + second)), 2),
                    "label_std": round(float(np.std(first + second)), 2),
                    "seconds": round(first_s + second_s, 1),
                    "space": space.name,
                    "profile": args.profile,
                    "proxy_steps": cfg.csco.settings.proxy_steps,
                    "overrides": args.overrides,
                    **env,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()

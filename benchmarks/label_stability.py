"""Do a predictor search's proxy labels measure the architecture or the seed? The same architectures
are labelled twice, with two proxy-training seeds, by the experiment's own evaluator; a label set that
ranks them alike under both seeds (Kendall tau across seeds) measures the architecture.

Everything comes from the experiment's composed config (its profile, data, space and evaluator), so
the figure is about the schedule the pipeline runs; trailing arguments are Hydra overrides of it (a
longer proxy schedule, another teacher). For DCSOD (a config with ``dcsod.teacher``) the labels are
taken without evolving distillation, with it, or both: the claim to test is that the teacher steadies
them. Prints one JSON object per figure.

    python benchmarks/label_stability.py --experiment dcsod_cifar10 [--archs 16] [--seeds 0 1] \
        dcsod.teacher.beta=1
    python benchmarks/label_stability.py --experiment dcsod_cifar10 --distillation off \
        dcsod.profiles.quick.proxy_steps=200
    python benchmarks/label_stability.py --experiment pids_s3dis --archs 8 pids.profiles.quick.proxy_steps=120
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


def _config(experiment: str, profile: str, overrides: list[str]) -> DictConfig:
    register_resolvers()
    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        cfg = compose(
            config_name="train",
            overrides=[
                f"experiment={experiment}",
                f"profile={profile}",
                f"paths.root_dir={ROOT}",
                *overrides,
            ],
        )
    if _has_teacher(cfg):
        cfg.dcsod.teacher.checkpoint = None  # every pass starts with a fresh teacher, never a saved one
    return cfg


def _has_teacher(cfg: DictConfig) -> bool:
    """Whether the experiment distils from an evolving teacher (DCSOD's, unless set to null)."""
    return cfg.get("dcsod") is not None and cfg.dcsod.teacher is not None


def _labels(
    cfg: DictConfig, space, datamodule, archs, seed: int, distill: bool | None
) -> tuple[list[float], float]:
    """Labels of ``archs`` in order, by a fresh evaluator; ``distill`` (DCSOD only) gives it a fresh
    teacher or none."""
    extra = (
        {}
        if distill is None
        else {"teacher": hydra.utils.instantiate(cfg.dcsod.teacher) if distill else None}
    )
    evaluator = hydra.utils.instantiate(cfg.evaluator, **extra)(
        space=space, datamodule=datamodule, seed=seed, device="cpu"
    )
    start = time.perf_counter()
    labels = [evaluator(arch)[cfg.pipeline.metric] for arch in archs]
    return labels, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--experiment", default="dcsod_cifar10", help="a predictor-search experiment")
    parser.add_argument("--archs", type=int, default=16, help="architectures labelled (default: 16)")
    parser.add_argument("--seeds", type=int, nargs=2, default=[0, 1], help="the two proxy seeds")
    parser.add_argument("--profile", default="quick", help="the method's profile (default: quick)")
    parser.add_argument(
        "--distillation",
        choices=["both", "off", "on"],
        default="both",
        help="DCSOD: label without the teacher, with it, or both (default: both)",
    )
    parser.add_argument("overrides", nargs="*", help="Hydra overrides of the experiment")
    args = parser.parse_args()
    cfg = _config(args.experiment, args.profile, args.overrides)
    datamodule = build_datamodule(cfg.data)
    space = hydra.utils.instantiate(cfg.space)
    rng = np.random.default_rng(0)
    archs = [space.sample(rng) for _ in range(args.archs)]
    env = environment()
    passes = {"both": (False, True), "off": (False,), "on": (True,)}[args.distillation]
    if args.distillation != "off" and _has_teacher(cfg) and cfg.dcsod.teacher.beta == 0:
        parser.error("the teacher's beta is 0 in this profile: add dcsod.teacher.beta=1 to label with it")
    if not _has_teacher(cfg):
        passes = (None,)  # the experiment's evaluator as configured
    for distill in passes:
        runs = [_labels(cfg, space, datamodule, archs, seed, distill) for seed in args.seeds]
        (first, first_s), (second, second_s) = runs
        print(
            json.dumps(
                {
                    "figure": "label_stability",
                    "experiment": args.experiment,
                    "metric": cfg.pipeline.metric,
                    **({} if distill is None else {"distillation": distill}),
                    "archs": args.archs,
                    "seeds": args.seeds,
                    "kendall_tau_across_seeds": round(kendall_tau(first, second), 4),
                    "pearson_across_seeds": round(float(np.corrcoef(first, second)[0, 1]), 4),
                    # how far one architecture's two labels lie apart, against how far the
                    # architectures' mean labels do: the seed's share and the architecture's
                    "seed_std": round(float(np.std(np.subtract(first, second)) / np.sqrt(2)), 2),
                    "arch_std": round(float(np.std(np.add(first, second) / 2)), 2),
                    "label_mean": round(float(np.mean(first + second)), 2),
                    "label_std": round(float(np.std(first + second)), 2),
                    "seconds": round(first_s + second_s, 1),
                    "space": space.name,
                    "profile": args.profile,
                    "evaluator_steps": cfg.evaluator.get("steps"),
                    "overrides": args.overrides,
                    "labels": [[round(a, 2), round(b, 2)] for a, b in zip(first, second, strict=True)],
                    **env,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()

"""Training samples/s of the NASRec supernet and of DLRM with 1 and 2 DDP processes (gloo on a CPU,
NCCL on GPUs), each run through ``train.py`` as a user starts it.

Each run trains one stage (``pipeline=train_child``: the supernet, or DLRM) on the generated Criteo
sample for ``--warmup`` untimed and ``--steps`` timed steps of ``data.batch_size`` rows per process,
without validation; ``benchmarks/_step_timer.py`` times the steps on rank 0. With ``--devices N`` the
machine's cores are split evenly: each process gets ``cores / N`` intra-op threads, so one process
and N processes use the same cores. Prints one JSON object per figure (model, processes, samples/s)
and, per model, the ratio of N processes to one; on a CPU only that ratio, measured in one run, means
anything.

    python benchmarks/ddp_throughput.py                       # this CPU, 1 and 2 gloo processes
    python benchmarks/ddp_throughput.py --accelerator gpu --devices 4 --steps 200
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _env import environment

ROOT = Path(__file__).resolve().parents[1]
MODELS = {
    "nasrec_supernet": ["experiment=nasrec_criteo", "pipeline=train_child"],
    "dlrm": ["experiment=dlrm_criteo"],
}


def samples_per_second(model: str, processes: int, args: argparse.Namespace, folder: Path) -> dict:
    """Train ``model`` with ``processes`` DDP processes (none for 1) and return its figure."""
    timing = folder / f"{model}-{processes}.json"
    command = [
        sys.executable,
        "train.py",
        *MODELS[model],
        f"trainer.accelerator={args.accelerator}",
        f"trainer.max_steps={args.warmup + args.steps}",
        "trainer.max_epochs=-1",
        "trainer.limit_val_batches=0",
        "trainer.limit_test_batches=1",
        "optimized_metric=null",
        "~callbacks.early_stopping",
        "~callbacks.rich_progress_bar",
        "+callbacks.step_timer._target_=_step_timer.StepTimer",
        f"+callbacks.step_timer.out={timing}",
        f"+callbacks.step_timer.warmup={args.warmup}",
        f"hydra.run.dir={folder / f'{model}-{processes}'}",
    ]
    if processes > 1:
        command += ["trainer=ddp", f"trainer.devices={processes}"]
    threads = max(1, (os.cpu_count() or 1) // processes)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "benchmarks"), os.environ.get("PYTHONPATH", "")]),
        "OMP_NUM_THREADS": str(threads),
    }
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=not args.verbose)
    measured = json.loads(timing.read_text())
    batch = args.batch_size
    rate = measured["steps"] * batch * measured["processes"] / measured["seconds"]
    return {
        "figure": f"{model}_train_samples_per_s",
        "model": model,
        "processes": measured["processes"],
        "threads_per_process": threads if args.accelerator == "cpu" else None,
        "batch_per_process": batch,
        "timed_steps": measured["steps"],
        "samples_per_s": round(rate, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accelerator", default="cpu")
    parser.add_argument("--devices", type=int, default=2, help="processes of the DDP runs (default: 2)")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=512, help="data.batch_size of the configs")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--verbose", action="store_true", help="show the runs' output")
    args = parser.parse_args()
    env = environment(args.accelerator)
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            single = samples_per_second(model, 1, args, Path(tmp))
            several = samples_per_second(model, args.devices, args, Path(tmp))
            for figure in (single, several):
                print(json.dumps({**figure, **env}))
            ratio = several["samples_per_s"] / single["samples_per_s"]
            print(
                json.dumps(
                    {"figure": f"{model}_ddp_speedup", "model": model, "ratio": round(ratio, 3), **env}
                )
            )


if __name__ == "__main__":
    main()

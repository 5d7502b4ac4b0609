"""Training and inference throughput of the NASRec supernet and of one child network, Criteo shapes.

Protocol of the benchmark notes: NASRec Full space (7 blocks; dense FC, gating, sum, dot product;
sparse EFC, attention; dense widths 16..1024, sparse 16..64; a LayerNorm after every operator),
Criteo shapes (13 dense and 26 categorical features, tables capped at 500,000 rows, embedding dim 16),
batch 512, Adagrad lr 0.12, BCE with logits, gradient-norm clip 5 (sparse embedding gradients
included), random batches already on the device (data loading excluded), fp32, 20 warm-up steps then
300 timed steps. Supernet paths come from the single-operator any-connection sampler with
``1 + Binomial(3, 0.5)`` sources per input list, i.e. the published spaces with ``connection_k=3,
max_inputs=4`` (they have 2 and 3); drawing the path is part of every timed step.

The child is a fixed representative architecture: of 20 archs drawn with seed 0 from the space, the
one with the most FLOPs, extracted from the supernet; ``--arch best_arch.json`` benchmarks a searched
architecture instead (for the space it belongs to). Subnet evaluations score archs the way the search
does (``SubnetEvaluator``: features, 300 fine-tuning steps of the final layer, validation metrics,
FLOPs and parameters), always in fp32.

Prints one JSON object per figure with its H100 reference where one exists; on CUDA each also carries
its ratio to that reference. On CPU absolute numbers mean nothing, so the defaults shrink to 5 timed
steps after 1 warm-up step (a full-path supernet step takes about 20 s on two cores) and 3 evaluated
subnets on 2,048 fine-tuning and 4,096 validation rows, so that a run of every figure takes minutes;
model and batch shapes stay Criteo's. A last object ``cpu_ratios`` then gives every throughput
relative to one measured in the same run (the Full child's training at batch 512 when it ran).

    python benchmarks/nasrec_supernet.py
    python benchmarks/nasrec_supernet.py --precision bf16 --compile --arch best_arch.json
    python benchmarks/nasrec_supernet.py --device cpu --only child_train_small --steps 3 --warmup 1
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from _env import environment
from torch import Tensor, nn

from nasforge.core.arch import Arch
from nasforge.core.cost import count_flops, count_params
from nasforge.core.training.optim import build_optimizer, clip_grad_norm_mixed_
from nasforge.recsys.models.embedding import FeatureEmbedding
from nasforge.recsys.nasrec import (
    FullPath,
    NASRecNet,
    NASRecSampler,
    NASRecSpace,
    NASRecSupernet,
    SingleOperatorAnyConnection,
    SubnetEvaluator,
    describe_arch,
    full_space,
    load_arch,
    small_space,
)

#: Criteo Kaggle cardinalities (DLRM's list), capped like the benchmark's tables.
CRITEO_CARDINALITIES = (
    1460, 583, 10131227, 2202608, 305, 24, 12517, 633, 3, 93145, 5683, 8351593, 3194, 27, 14992,
    5461306, 10, 5652, 2173, 4, 7046547, 18, 15, 286181, 105, 142572,
)  # fmt: skip
VOCAB_CAP = 500_000
VOCAB_SIZES = tuple(min(c, VOCAB_CAP) for c in CRITEO_CARDINALITIES)
NUM_DENSE, EMBEDDING_DIM = 13, 16
LR, CLIP = 0.12, 5.0
#: Random batches generated once on the device and cycled through.
POOL = 8
#: Connection counts ``1 + Binomial(3, 0.5)``, as the protocol asks.
CONNECTIONS = {"connection_k": 3, "max_inputs": 4}
CHILD_CANDIDATES, CHILD_SEED = 20, 0
TRAIN_BATCH, CHILD_BATCHES, INFERENCE_BATCH = 512, (512, 256), 8192
#: Subnet evaluation data rows (fine-tuning, validation) by device type.
EVAL_ROWS = {"cuda": (16384, 65536), "cpu": (2048, 4096)}
FINETUNE_STEPS = 300

#: Figures of one H100 from the benchmark notes: samples/s, or GiB for the memory figure.
REFERENCE: dict[str, dict[str, float]] = {
    "supernet_train_full_sampled": {"samples_per_s": 20_300},
    "supernet_train_full_fullpath": {"samples_per_s": 8_300},
    "supernet_train_small_sampled": {"samples_per_s": 23_800},
    "supernet_peak_memory_full": {"peak_memory_gib": 4.2},
    "child_train_full": {"samples_per_s_batch_512": 27_300, "samples_per_s_batch_256": 12_800},
    "child_train_small": {"samples_per_s_batch_512": 39_100, "samples_per_s_batch_256": 19_900},
    "child_inference_full": {"samples_per_s": 617_000},
    "child_inference_small": {"samples_per_s": 1_600_000},
}
FIGURES = (
    "supernet_train_full_sampled",
    "supernet_peak_memory_full",
    "supernet_train_full_fullpath",
    "supernet_train_small_sampled",
    "child_train_full",
    "child_train_small",
    "child_inference_full",
    "child_inference_small",
    "subnet_evaluations_per_minute",
)
#: The throughput ``cpu_ratios`` divides by, when it was measured.
CPU_RATIO_BASE = "child_train_full_batch_512"


def random_batch(rows: int, generator: torch.Generator, device: torch.device) -> dict[str, Tensor]:
    """A Criteo-shaped batch dict with uniform indices into every (capped) table."""
    sparse = torch.stack([torch.randint(v, (rows,), generator=generator) for v in VOCAB_SIZES], dim=1)
    batch = {
        "dense": torch.randn(rows, NUM_DENSE, generator=generator),
        "sparse": sparse,
        "label": torch.randint(2, (rows,), generator=generator).float(),
    }
    return {key: value.to(device) for key, value in batch.items()}


def batch_pool(rows: int, device: torch.device) -> list[dict[str, Tensor]]:
    """``POOL`` random batches on the device, so the timed loop never waits for data."""
    generator = torch.Generator().manual_seed(rows)
    return [random_batch(rows, generator, device) for _ in range(POOL)]


def child_cost(space: NASRecSpace, arch: Arch) -> dict[str, int]:
    """FLOPs per example and parameters without embeddings, counted on the meta device (no memory)."""
    with torch.device("meta"):
        net = NASRecNet(arch, space, NUM_DENSE, VOCAB_SIZES, EMBEDDING_DIM)
        dense = torch.zeros(1, NUM_DENSE)
        sparse = torch.zeros(1, len(VOCAB_SIZES), dtype=torch.long)
    return {
        "flops": count_flops(net, dense, sparse),
        "params": count_params(net, exclude=(FeatureEmbedding,)),
    }


@functools.cache
def representative_arch(space: NASRecSpace) -> Arch:
    """The most expensive of ``CHILD_CANDIDATES`` archs drawn with seed ``CHILD_SEED``: a fixed child on
    the heavy side of the space, since no searched architecture ships with the repository."""
    rng = np.random.default_rng(CHILD_SEED)
    archs = [space.sample(rng) for _ in range(CHILD_CANDIDATES)]
    return max(archs, key=lambda arch: child_cost(space, arch)["flops"])


def arch_space(arch: Arch) -> tuple[str, NASRecSpace]:
    """The label and space of ``arch``: a published space, or its variant with the protocol's connections."""
    for label, build in (("full", full_space), ("small", small_space)):
        for overrides in ({}, CONNECTIONS):
            space = build(**overrides)
            if space.name == arch.space:
                return label, space
    raise SystemExit(
        f"--arch: space {arch.space!r} is neither the published full or small space nor their variant "
        f"with {CONNECTIONS}"
    )


class Bench:
    """What the figures share: settings, supernets built once per space, and the throughputs measured."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.device = torch.device(args.device)
        self.cuda = self.device.type == "cuda"
        self.env = environment(args.device)
        self.spaces = {"full": full_space(**CONNECTIONS), "small": small_space(**CONNECTIONS)}
        self.arch_file: tuple[str, NASRecSpace, Arch] | None = None
        if args.arch is not None:
            arch = load_arch(args.arch)
            self.arch_file = (*arch_space(arch), arch)
        self.supernets: dict[str, NASRecSupernet] = {}
        self.supernet_runs: dict[tuple[str, type[NASRecSampler]], dict[str, float]] = {}
        self.rates: dict[str, float] = {}

    # -- helpers --------------------------------------------------------------------------------------

    def autocast(self) -> contextlib.AbstractContextManager:
        """bf16 autocast when asked for, else nothing (fp32)."""
        bf16 = self.args.precision == "bf16"
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=bf16)

    def synchronize(self) -> None:
        if self.cuda:
            torch.cuda.synchronize(self.device)

    def timed(self, step: Callable[[int], None]) -> float:
        """Seconds of ``--steps`` calls of ``step`` after ``--warmup`` untimed ones; step indices run on
        from the warm-up so the timed steps draw fresh paths."""
        warmup, steps = self.args.warmup, self.args.steps
        for index in range(warmup):
            step(index)
        self.synchronize()
        start = time.perf_counter()
        for index in range(warmup, warmup + steps):
            step(index)
        self.synchronize()
        return time.perf_counter() - start

    def supernet(self, space: NASRecSpace) -> NASRecSupernet:
        if space.name not in self.supernets:
            net = NASRecSupernet(space, NUM_DENSE, VOCAB_SIZES, EMBEDDING_DIM)
            self.supernets[space.name] = net.to(self.device)
        return self.supernets[space.name]

    def settings(self, batch_size: int | list[int], space: NASRecSpace) -> dict[str, Any]:
        return {
            "batch_size": batch_size,
            "steps": self.args.steps,
            "warmup": self.args.warmup,
            "precision": self.args.precision,
            "space": space.name,
            "space_config": space.config,
            "vocab_cap": VOCAB_CAP,
            "embedding_dim": EMBEDDING_DIM,
            "optimizer": f"Adagrad lr {LR}, grad-norm clip {CLIP}",
        }

    def report(self, figure: str, what: str, values: dict[str, float], **settings: Any) -> dict[str, Any]:
        """The figure's JSON: values, their references, on CUDA the ratios to them, then settings."""
        out: dict[str, Any] = {"figure": figure, "what": what, **values}
        for key, reference in REFERENCE.get(figure, {}).items():
            out[f"{key}_reference"] = reference
            if self.cuda:
                out[f"{key}_ratio_to_reference"] = round(values[key] / reference, 3)
        return {**out, **settings, **self.env}

    def train_rate(
        self, model: nn.Module, forward: Callable[[int, dict[str, Tensor]], Tensor], rows: int
    ) -> dict[str, float]:
        """Samples/s (and on CUDA peak memory) of training steps; ``forward(step, batch)`` gives the
        logits, so a supernet draws its path inside the timed step."""
        batches = batch_pool(rows, self.device)
        if self.cuda:
            torch.cuda.reset_peak_memory_stats(self.device)
        optimizer = build_optimizer(model, functools.partial(torch.optim.Adagrad, lr=LR))
        params = [p for group in optimizer.param_groups for p in group["params"]]
        model.train()

        def step(index: int) -> None:
            batch = batches[index % POOL]
            with self.autocast():
                logits = forward(index, batch)
            loss = F.binary_cross_entropy_with_logits(logits.float(), batch["label"])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            clip_grad_norm_mixed_(params, CLIP)
            optimizer.step()

        seconds = self.timed(step)
        run = {"samples_per_s": round(self.args.steps * rows / seconds), "seconds": round(seconds, 3)}
        if self.cuda:
            run["peak_memory_gib"] = round(torch.cuda.max_memory_allocated(self.device) / 2**30, 3)
        return run

    def child(self, label: str) -> tuple[Arch, NASRecSpace, str]:
        """The child of ``label``'s space: the ``--arch`` one if it is from there, else the representative."""
        if self.arch_file is not None and self.arch_file[0] == label:
            _, space, arch = self.arch_file
            return arch, space, f"searched arch from {self.args.arch}"
        space = self.spaces[label]
        source = f"most FLOPs of {CHILD_CANDIDATES} archs drawn from the space with seed {CHILD_SEED}"
        return representative_arch(space), space, source

    def fresh_child(self, arch: Arch, space: NASRecSpace) -> nn.Module:
        """A child extracted from the supernet (compiled with ``--compile``), new for every run so each
        starts from the same weights and optimiser state."""
        child = self.supernet(space).child(arch)
        return torch.compile(child) if self.args.compile else child

    def child_settings(self, arch: Arch, space: NASRecSpace, batch_size: int | list[int]) -> dict[str, Any]:
        cost = child_cost(space, arch)
        return {
            "arch": arch.hash,
            "child_flops": cost["flops"],
            "child_params_without_embeddings": cost["params"],
            "compile": self.args.compile,
            **self.settings(batch_size, space),
        }

    # -- figures --------------------------------------------------------------------------------------

    def supernet_run(self, label: str, sampler_class: type[NASRecSampler]) -> dict[str, float]:
        """One supernet training run, kept so the peak-memory figure reuses the sampled Full run."""
        if (label, sampler_class) not in self.supernet_runs:
            space = self.spaces[label]
            supernet = self.supernet(space)
            sampler = sampler_class(space, warmup_steps=0, seed=0)
            forward = lambda step, batch: supernet(batch["dense"], batch["sparse"], sampler(step))
            self.supernet_runs[label, sampler_class] = self.train_rate(supernet, forward, TRAIN_BATCH)
        return self.supernet_runs[label, sampler_class]

    def supernet_train(self, figure: str, label: str, sampler_class: type[NASRecSampler]) -> dict[str, Any]:
        run = self.supernet_run(label, sampler_class)
        self.rates[figure] = run["samples_per_s"]
        kind, paths = {
            SingleOperatorAnyConnection: (
                "single_operator_any_connection",
                "single-operator any-connection paths, 1 + Binomial(3, 0.5) sources per input list "
                "(connection_k=3, max_inputs=4)",
            ),
            FullPath: ("full_path", "the full path (every operator, source and merge, widest widths)"),
        }[sampler_class]
        what = f"{label.capitalize()}-space supernet training samples/s, {paths}"
        return self.report(figure, what, run, sampler=kind, **self.settings(TRAIN_BATCH, self.spaces[label]))

    def peak_memory(self, figure: str) -> dict[str, Any] | None:
        if not self.cuda:
            print(f"{figure}: CUDA only, skipped", file=sys.stderr)
            return None
        run = self.supernet_run("full", SingleOperatorAnyConnection)
        what = "torch.cuda.max_memory_allocated over the Full-space supernet training run with sampled paths"
        values = {"peak_memory_gib": run["peak_memory_gib"]}
        return self.report(figure, what, values, **self.settings(TRAIN_BATCH, self.spaces["full"]))

    def child_train(self, figure: str, label: str) -> dict[str, Any]:
        arch, space, source = self.child(label)
        print(f"{figure}: {describe_arch(arch)}", file=sys.stderr)
        values: dict[str, float] = {}
        for rows in CHILD_BATCHES:
            child = self.fresh_child(arch, space)
            forward = lambda step, batch, child=child: child(batch["dense"], batch["sparse"])
            run = self.train_rate(child, forward, rows)
            values[f"samples_per_s_batch_{rows}"] = run["samples_per_s"]
            if self.cuda:
                values[f"peak_memory_gib_batch_{rows}"] = run["peak_memory_gib"]
            self.rates[f"{figure}_batch_{rows}"] = run["samples_per_s"]
        what = f"{label.capitalize()}-space child training samples/s; child (from supernet.child): {source}"
        return self.report(figure, what, values, **self.child_settings(arch, space, list(CHILD_BATCHES)))

    def child_inference(self, figure: str, label: str) -> dict[str, Any]:
        arch, space, source = self.child(label)
        child = self.fresh_child(arch, space)
        child.eval()
        batches = batch_pool(INFERENCE_BATCH, self.device)

        def step(index: int) -> None:
            batch = batches[index % POOL]
            with torch.inference_mode(), self.autocast():
                child(batch["dense"], batch["sparse"])

        seconds = self.timed(step)
        rate = round(self.args.steps * INFERENCE_BATCH / seconds)
        self.rates[figure] = rate
        what = f"{label.capitalize()}-space child inference samples/s (torch.inference_mode); child: {source}"
        values = {"samples_per_s": rate, "seconds": round(seconds, 3)}
        return self.report(figure, what, values, **self.child_settings(arch, space, INFERENCE_BATCH))

    def subnet_evaluations(self, figure: str) -> dict[str, Any]:
        space = self.spaces["full"]
        finetune_rows, eval_rows = EVAL_ROWS[self.device.type]
        generator = torch.Generator().manual_seed(0)
        evaluator = SubnetEvaluator(
            self.supernet(space),
            random_batch(finetune_rows, generator, self.device),
            random_batch(eval_rows, generator, self.device),
            finetune_steps=FINETUNE_STEPS,
        )
        rng = np.random.default_rng(1)
        warmup_arch, *archs = [space.sample(rng) for _ in range(self.args.eval_archs + 1)]
        evaluator(warmup_arch)
        self.synchronize()
        start = time.perf_counter()
        for arch in archs:
            evaluator(arch)
        self.synchronize()
        seconds = time.perf_counter() - start
        what = (
            "Full-space subnet evaluations per minute with SubnetEvaluator (features, final-layer "
            "fine-tuning, validation logloss/AUC, FLOPs and params), fp32, after one warm-up evaluation"
        )
        values = {"evaluations_per_minute": round(len(archs) / seconds * 60, 1), "seconds": round(seconds, 3)}
        settings = {
            "archs": len(archs),
            "finetune_rows": finetune_rows,
            "eval_rows": eval_rows,
            "finetune_steps": FINETUNE_STEPS,
            "space": space.name,
            "vocab_cap": VOCAB_CAP,
            "embedding_dim": EMBEDDING_DIM,
        }
        return self.report(figure, what, values, **settings)

    def figure(self, name: str) -> dict[str, Any] | None:
        if name == "supernet_train_full_sampled":
            return self.supernet_train(name, "full", SingleOperatorAnyConnection)
        if name == "supernet_train_full_fullpath":
            return self.supernet_train(name, "full", FullPath)
        if name == "supernet_train_small_sampled":
            return self.supernet_train(name, "small", SingleOperatorAnyConnection)
        if name == "supernet_peak_memory_full":
            return self.peak_memory(name)
        if name.startswith("child_train_"):
            return self.child_train(name, name.removeprefix("child_train_"))
        if name.startswith("child_inference_"):
            return self.child_inference(name, name.removeprefix("child_inference_"))
        return self.subnet_evaluations(name)

    def cpu_ratios(self) -> dict[str, Any]:
        """Every throughput of this run over one of them: on CPU, the only comparable figures."""
        base = CPU_RATIO_BASE if CPU_RATIO_BASE in self.rates else next(iter(self.rates))
        ratios = {name: round(rate / self.rates[base], 4) for name, rate in self.rates.items()}
        what = "samples/s of each figure of this run divided by the base figure's, same machine and run"
        return {"figure": "cpu_ratios", "what": what, "base": base, "ratios": ratios, **self.env}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--steps", type=int, help="timed steps (default: 300 on CUDA, 5 on CPU)")
    parser.add_argument("--warmup", type=int, help="untimed steps first (default: 20 on CUDA, 1 on CPU)")
    parser.add_argument("--precision", default="fp32", choices=("fp32", "bf16"))
    parser.add_argument("--compile", action="store_true", help="torch.compile the child network")
    parser.add_argument("--only", nargs="+", choices=FIGURES, default=list(FIGURES), metavar="FIGURE")
    parser.add_argument("--arch", type=Path, help="JSON of a searched arch to benchmark as the child")
    parser.add_argument("--eval-archs", type=int, help="subnets timed (default: 20 on CUDA, 3 on CPU)")
    args = parser.parse_args()
    cuda = torch.device(args.device).type == "cuda"
    if args.precision == "bf16" and not cuda:
        parser.error("--precision bf16 is bf16 autocast on CUDA; use fp32 on CPU")
    defaults = {"steps": (300, 5), "warmup": (20, 1), "eval_archs": (20, 3)}
    for key, (on_cuda, on_cpu) in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, on_cuda if cuda else on_cpu)
    if args.steps < 1 or args.warmup < 0 or args.eval_archs < 1:
        parser.error("--steps and --eval-archs must be positive, --warmup non-negative")
    return args


def main() -> None:
    bench = Bench(parse_args())
    for name in FIGURES:
        if name in bench.args.only:
            result = bench.figure(name)
            if result is not None:
                print(json.dumps(result), flush=True)
    if not bench.cuda and len(bench.rates) > 1:
        print(json.dumps(bench.cpu_ratios()), flush=True)


if __name__ == "__main__":
    main()

"""Point-cloud speed: the neighbour search's pure-torch fallback against brute force (and PyG's
compiled op when pyg-lib is installed), and training points per second of a PIDS network and KPConv.

Prints one JSON object per figure. On a CPU only the ratios measured in one run mean something.

    python benchmarks/pointcloud_speed.py [--points 20000] [--arch <run>/best_arch.json] [--regions 4]
        [--region-points 2048] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable

import numpy as np
import torch
from _env import environment
from torch_geometric.data import Batch, Data

from nasforge.core.arch import Arch
from nasforge.pointcloud.models import KPConvNet
from nasforge.pointcloud.ops import knn, radius
from nasforge.pointcloud.pids import PIDSNet, pids_space


def _synchronise(device: str) -> None:
    """Wait for queued GPU work, so that a wall-clock time covers the kernels, not their launch."""
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)


def _timed(function: Callable[[], object], device: str, repeats: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        _synchronise(device)
        start = time.perf_counter()
        result = function()
        _synchronise(device)
        best = min(best, time.perf_counter() - start)
    return best, result


def _brute_knn(x: torch.Tensor, y: torch.Tensor, k: int, rows: int = 8192) -> torch.Tensor:
    """Distances of the ``k`` nearest, from exact pairwise distances (no matrix-product shortcut),
    ``rows`` queries at a time: CUDA's exact cdist refuses a 50,000 x 50,000 grid."""
    chunks = [
        torch.cdist(part, x, compute_mode="donot_use_mm_for_euclid_dist").topk(k, dim=1, largest=False).values
        for part in y.split(rows)
    ]
    return torch.cat(chunks)


def neighbour_search(points: int, k: int, device: str) -> dict:
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(points, 3, generator=g) * 10).to(device)
    fallback_s, edges = _timed(lambda: knn(x, x, k), device)
    brute_s, brute = _timed(lambda: _brute_knn(x, x, k), device)
    # the neighbours' distances, compared as sorted lists (ties may pick other indices)
    found = (x[edges[1]] - x[edges[0]]).norm(dim=1).view(points, k).sort(dim=1).values
    same = bool(torch.allclose(found, brute.sort(dim=1).values, atol=1e-5))
    radius_s, _ = _timed(lambda: radius(x, x, 0.5, max_num_neighbors=32), device)
    figure = {"figure": "neighbour_search", "points": points, "k": k, "knn_s": round(fallback_s, 4),
              "brute_force_s": round(brute_s, 4), "radius_s": round(radius_s, 4),
              "knn_equals_brute_force": same}  # fmt: skip
    try:
        from torch_geometric.nn.pool import knn as pyg_knn
        from torch_geometric.typing import WITH_KNN
    except ImportError:
        WITH_KNN = False
    if WITH_KNN:
        figure["pyg_knn_s"] = round(_timed(lambda: pyg_knn(x, x, k), device)[0], 4)
    else:
        figure["pyg_knn_s"] = None
        figure["pyg_knn"] = "pyg-lib is not installed: no compiled op to compare"
    return figure


def _regions(count: int, points: int) -> Batch:
    g = torch.Generator().manual_seed(1)
    regions = [Data(pos=torch.rand(points, 3, generator=g) * torch.tensor([3.0, 3.0, 2.0]),
                    x=torch.rand(points, 5, generator=g), y=torch.randint(0, 13, (points,), generator=g))
               for _ in range(count)]  # fmt: skip
    return Batch.from_data_list(regions)


def training_step(net: torch.nn.Module, batch: Batch) -> Callable[[], None]:
    """One training step (forward, backward, SGD step) of ``net`` on ``batch``, as a callable."""
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    net.train()

    def step() -> None:
        loss = torch.nn.functional.cross_entropy(net(batch), batch.y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


def training_speed(step: Callable[[], None], points: int, steps: int, device: str) -> float:
    """Training points per second after one warm-up step."""
    step()
    _synchronise(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    _synchronise(device)
    return steps * points / (time.perf_counter() - start)


def kernel_profile(step: Callable[[], None], step_s: float) -> dict:
    """One step under torch's profiler: how many GPU kernels it launches and how much of the step's
    unprofiled wall time ``step_s`` they fill; a small share means the step waits on the host
    (launches, Python, syncs), not on the GPU. The busiest kernels go to stderr."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as profiler:
        step()
        torch.cuda.synchronize()
    kernels = [e for e in profiler.events() if e.device_type == torch.autograd.DeviceType.CUDA]
    kernel_s = sum(e.time_range.elapsed_us() for e in kernels) / 1e6
    print(profiler.key_averages().table(sort_by="self_device_time_total", row_limit=12), file=sys.stderr)
    return {"kernels_per_step": len(kernels), "kernel_s": round(kernel_s, 5), "step_s": round(step_s, 5),
            "gpu_busy_share": round(kernel_s / step_s, 3)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=int, default=20000, help="points of the neighbour search")
    parser.add_argument("--arch", default=None, help="a PIDS best_arch.json (default: a quick-table sample)")
    parser.add_argument("--table", default="quick", help="the PIDS stage table of --arch (default: quick)")
    parser.add_argument("--regions", type=int, default=4, help="regions per training batch")
    parser.add_argument("--region-points", type=int, default=2048)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    env = environment(args.device)
    print(json.dumps({**neighbour_search(args.points, 16, args.device), **env}), flush=True)
    space = pids_space(args.table)
    arch = Arch.load(args.arch) if args.arch else space.sample(np.random.default_rng(0))
    batch = _regions(args.regions, args.region_points).to(args.device)
    nets = {
        "pids": PIDSNet(arch, space, in_channels=5, num_classes=13, first_grid=0.08),
        "kpconv": KPConvNet(5, 13, first_grid=0.08),
    }
    speeds = {}
    for name, net in nets.items():
        if args.device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats(args.device)
        step = training_step(net.to(args.device), batch)
        speeds[name] = training_speed(step, len(batch.pos), args.steps, args.device)
        params = sum(p.numel() for p in net.parameters())
        head = {"figure": "training_points_per_s", "model": name, "points_per_s": round(speeds[name])}
        size = {"params": params, "regions": args.regions, "region_points": args.region_points}
        if args.device.startswith("cuda"):
            size["peak_memory_gib"] = round(torch.cuda.max_memory_allocated(args.device) / 2**30, 3)
            size.update(kernel_profile(step, len(batch.pos) / speeds[name]))
        print(json.dumps({**head, **size, **env}), flush=True)
    ratio = round(speeds["pids"] / speeds["kpconv"], 2)
    print(json.dumps({"figure": "training_speed_ratio", "pids_over_kpconv": ratio, **env}))


if __name__ == "__main__":
    main()

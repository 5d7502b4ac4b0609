"""Point-cloud speed: the neighbour search's pure-torch fallback against brute force (and PyG's
compiled op when pyg-lib is installed), and training points per second of a PIDS network and KPConv.

Prints one JSON object per figure. On a CPU only the ratios measured in one run mean something.

    python benchmarks/pointcloud_speed.py [--points 20000] [--arch <run>/best_arch.json] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
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


def _timed(function: Callable[[], object], repeats: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def _brute_knn(x: torch.Tensor, y: torch.Tensor, k: int) -> torch.Tensor:
    """Distances of the ``k`` nearest, from exact pairwise distances (no matrix-product shortcut)."""
    exact = torch.cdist(y, x, compute_mode="donot_use_mm_for_euclid_dist")
    return exact.topk(k, dim=1, largest=False).values


def neighbour_search(points: int, k: int, device: str) -> dict:
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(points, 3, generator=g) * 10).to(device)
    fallback_s, edges = _timed(lambda: knn(x, x, k))
    brute_s, brute = _timed(lambda: _brute_knn(x, x, k))
    # the neighbours' distances, compared as sorted lists (ties may pick other indices)
    found = (x[edges[1]] - x[edges[0]]).norm(dim=1).view(points, k).sort(dim=1).values
    same = bool(torch.allclose(found, brute.sort(dim=1).values, atol=1e-5))
    radius_s, _ = _timed(lambda: radius(x, x, 0.5, max_num_neighbors=32))
    figure = {"figure": "neighbour_search", "points": points, "k": k, "knn_s": round(fallback_s, 4),
              "brute_force_s": round(brute_s, 4), "radius_s": round(radius_s, 4),
              "knn_equals_brute_force": same}  # fmt: skip
    try:
        from torch_geometric.nn.pool import knn as pyg_knn
        from torch_geometric.typing import WITH_KNN
    except ImportError:
        WITH_KNN = False
    if WITH_KNN:
        figure["pyg_knn_s"] = round(_timed(lambda: pyg_knn(x, x, k))[0], 4)
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


def training_speed(net: torch.nn.Module, batch: Batch, steps: int) -> float:
    """Training points per second (forward, backward, SGD step) after one warm-up step."""
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    net.train()

    def step() -> None:
        loss = torch.nn.functional.cross_entropy(net(batch), batch.y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * len(batch.pos) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=int, default=20000, help="points of the neighbour search")
    parser.add_argument("--arch", default=None, help="a PIDS best_arch.json (default: a quick-table sample)")
    parser.add_argument("--table", default="quick", help="the PIDS stage table of --arch (default: quick)")
    parser.add_argument("--region-points", type=int, default=2048)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    env = environment(args.device)
    print(json.dumps({**neighbour_search(args.points, 16, args.device), **env}), flush=True)
    space = pids_space(args.table)
    arch = Arch.load(args.arch) if args.arch else space.sample(np.random.default_rng(0))
    batch = _regions(4, args.region_points).to(args.device)
    nets = {
        "pids": PIDSNet(arch, space, in_channels=5, num_classes=13, first_grid=0.08),
        "kpconv": KPConvNet(5, 13, first_grid=0.08),
    }
    speeds = {}
    for name, net in nets.items():
        speeds[name] = training_speed(net.to(args.device), batch, args.steps)
        params = sum(p.numel() for p in net.parameters())
        head = {"figure": "training_points_per_s", "model": name, "points_per_s": round(speeds[name])}
        print(json.dumps({**head, "params": params, "region_points": args.region_points, **env}), flush=True)
    ratio = round(speeds["pids"] / speeds["kpconv"], 2)
    print(json.dumps({"figure": "training_speed_ratio", "pids_over_kpconv": ratio, **env}))


if __name__ == "__main__":
    main()

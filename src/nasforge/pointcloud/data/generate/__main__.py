"""Command line: ``python -m nasforge.pointcloud.data.generate {s3dis,semantickitti} --out FOLDER``."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from nasforge.pointcloud.data.generate import write_s3dis, write_semantickitti


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nasforge.pointcloud.data.generate",
        description="Write a synthetic point-cloud data set in the public S3DIS or SemanticKITTI layout.",
    )
    parser.add_argument("dataset", choices=("s3dis", "semantickitti"))
    parser.add_argument("--out", required=True, help="the dataset folder to write")
    parser.add_argument("--rooms-per-area", type=int, default=4, help="s3dis: rooms in each of the 6 areas")
    parser.add_argument("--frames", type=int, default=4, help="semantickitti: frames per sequence")
    parser.add_argument("--seed", type=int, default=0, help="fixes every scene")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.dataset == "s3dis":
        out = write_s3dis(args.out, rooms_per_area=args.rooms_per_area, seed=args.seed)
    else:
        out = write_semantickitti(args.out, frames_per_sequence=args.frames, seed=args.seed)
    print(f"{args.dataset}: wrote {out} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

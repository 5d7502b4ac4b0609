"""Command line: ``python -m nasforge.recsys.data.generate {criteo,avazu,kdd} --rows N --out PATH``."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence

from nasforge.recsys.data.generate import GENERATORS

log = logging.getLogger("nasforge.recsys.data.generate")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nasforge.recsys.data.generate",
        description="Write synthetic CTR data in the exact public file format of a data set.",
    )
    parser.add_argument("dataset", choices=sorted(GENERATORS))
    parser.add_argument("--rows", type=int, required=True, help="number of data rows (lines)")
    parser.add_argument("--out", required=True, help="output file (criteo, avazu) or folder (kdd)")
    parser.add_argument("--seed", type=int, default=0, help="world seed; files with one seed share a signal")
    parser.add_argument(
        "--part", type=int, default=0, help="independent sample of the same world, e.g. 1 for a test file"
    )
    parser.add_argument("--no-progress", action="store_true", help="never show the progress bar")
    args = parser.parse_args(argv)
    if args.rows < 0:
        parser.error(f"--rows must be >= 0, got {args.rows}")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    progress = not args.no_progress and args.rows >= 200_000 and sys.stderr.isatty()
    start = time.perf_counter()
    write = GENERATORS[args.dataset]
    out = write(args.out, rows=args.rows, seed=args.seed, part=args.part, progress=progress)
    seconds = time.perf_counter() - start
    paths = out if isinstance(out, tuple) else (out,)
    log.info(
        "dataset=%s: wrote %d rows in %.1f s (%.0f rows/s) to %s",
        args.dataset,
        args.rows,
        seconds,
        args.rows / max(seconds, 1e-9),
        ", ".join(str(p) for p in paths),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

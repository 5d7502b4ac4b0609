"""Samples/s that ``CTRDataModule.train_dataloader()`` delivers, one epoch of batches of 512.

Prints one JSON object. The data is a generated Criteo file, preprocessed once and cached under
``--data-dir``; every tensor of every batch is touched (summed) so nothing stays lazy.

    python benchmarks/dataloader_ctr.py --rows 1000000
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch
from _env import environment

from nasforge.recsys.data import CTRDataModule
from nasforge.recsys.data.generate import write_criteo


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=2, help="the best epoch is reported")
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "nasforge-bench")
    args = parser.parse_args()
    path = args.data_dir / f"criteo-{args.rows}.txt"
    if not path.exists():
        write_criteo(path, args.rows, seed=0)
    dm = CTRDataModule(
        dataset="criteo", path=str(path), cache_dir=str(args.data_dir / "processed"),
        batch_size=args.batch_size, num_workers=args.num_workers, progress=False,
    )  # fmt: skip
    dm.prepare_data()
    dm.setup()
    loader = dm.train_dataloader()
    best, rows, batches = float("inf"), 0, 0
    for _ in range(args.epochs):
        rows = batches = 0
        check = torch.zeros(())
        start = time.perf_counter()
        for batch in loader:
            check += batch["dense"].sum() + batch["sparse"].sum() + batch["label"].sum()
            rows += len(batch["label"])
            batches += 1
        best = min(best, time.perf_counter() - start)
    print(json.dumps({
        "figure": "dataloader_ctr",
        "what": "CTRDataModule train loader, one epoch, every tensor touched",
        "samples_per_s": round(rows / best),
        "batches_per_s": round(batches / best),
        "batch_size": args.batch_size,
        "rows": rows,
        "batches": batches,
        "num_workers": args.num_workers,
        "seconds": round(best, 3),
        **environment("cpu"),
    }))  # fmt: skip


if __name__ == "__main__":
    main()

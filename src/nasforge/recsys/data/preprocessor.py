"""One-time streaming preprocessing of a raw CTR dataset into a memory-mapped cache.

Pass 1 parses the file once, splits each block, appends label/dense/raw-key rows per partition and
counts keys; pass 2 turns keys into embedding-row indices in place (``hash`` mode maps inline and
needs no pass 2). Usable without Lightning::

    info = preprocess("criteo", "data/criteo/train.txt", "data/processed")
    train = info.arrays("train")  # {"label", "dense", "sparse"} memory maps
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from nasforge.core.atomic_folder import building
from nasforge.recsys.data.cache import (
    CACHE_VERSION,
    CacheInfo,
    cache_key,
    load_complete,
    source_identity,
    write_meta,
)
from nasforge.recsys.data.csv_stream import DEFAULT_BLOCK_SIZE
from nasforge.recsys.data.options import DATASETS, PreprocessOptions, make_reader
from nasforge.recsys.data.partition import PartitionWriter, remap_keys
from nasforge.recsys.data.progress import ProgressBar, format_report
from nasforge.recsys.data.reader import Block, CTRReader
from nasforge.recsys.data.sink import Sink
from nasforge.recsys.data.split import RANDOM_PARTS, DaySplitter, StratifiedSplitter
from nasforge.recsys.data.vocab import FeatureMap, KeyCounter, hash_indices
from nasforge.utils.pylogger import RankedLogger

__all__ = ["DATASETS", "PreprocessOptions", "format_report", "make_reader", "preprocess"]

log = RankedLogger(__name__)

#: caches whose reuse this process has already announced
_ANNOUNCED: set[Path] = set()


def preprocess(
    dataset: str,
    path: str | Path,
    cache_dir: str | Path,
    *,
    categorical_mode: str = "vocab",
    min_count: int = 10,
    max_rows: int | None = 500_000,
    split: str = "random",
    split_fractions: tuple[float, ...] = (0.8, 0.1, 0.1),
    seed: int = 0,
    on_bad_rows: str = "error",
    block_size: int = DEFAULT_BLOCK_SIZE,
    force: bool = False,
    progress: bool = True,
) -> CacheInfo:
    """Preprocess ``path`` into ``cache_dir/<dataset>-<hash>`` once; later calls reuse it.

    Args:
        dataset: ``"criteo"``, ``"criteo_terabyte"``, ``"avazu"`` or ``"kdd"``.
        path: the raw file, or the folder holding it.
        cache_dir: parent folder of cache folders.
        categorical_mode: ``"vocab"`` (count, then ids with ``>= min_count`` rows get their own
            index) or ``"hash"`` (one pass, hash into ``max_rows``) (default: ``"vocab"``).
        min_count: rows a key needs for its own index in vocab mode (default: 10).
        max_rows: embedding-table cap; a larger vocabulary is hashed into this many rows
            (default: 500,000, as in NASRec). ``None`` = no cap (vocab mode only).
        split: ``"random"`` (stratified ``split_fractions``) or ``"day"`` (one partition per day).
        split_fractions: train/val/test shares (default: 8:1:1).
        seed: seeds the split and the in-block shuffle (default: 0).
        on_bad_rows: ``"error"`` (raise naming file, line, field) or ``"skip"`` (drop and count).
        block_size: bytes parsed at a time (default: 4 MiB).
        force: rebuild even if a complete cache exists (default: False).
        progress: show a rich progress bar (default: True).
    """
    options = PreprocessOptions(
        dataset,
        categorical_mode,
        min_count,
        max_rows,
        split,
        tuple(split_fractions),
        seed,
        on_bad_rows,
        block_size,
    )
    reader = make_reader(dataset, path, on_bad_rows, block_size)
    sources = reader.sources()
    if split == "day" and not reader.schema.has_days:
        raise ValueError(
            f"preprocess: split='day' needs rows with a day, but {dataset!r} has none "
            f"({reader.expected} carries no time stamp); use split='random'"
            + (", or dataset='criteo_terabyte' with day_N files" if dataset == "criteo" else "")
        )
    identity = source_identity(sources)
    cache_dir = Path(cache_dir).expanduser()
    name = f"{dataset}-{cache_key(options.key_dict(), identity)}"
    folder = cache_dir / name
    if not force and (meta := load_complete(folder)) is not None:
        # every fit and test asks for the data again: say it once per cache and process
        level = logging.DEBUG if folder in _ANNOUNCED else logging.INFO
        _ANNOUNCED.add(folder)
        log.log(level, f"Reusing preprocessed {dataset} cache {folder} (data.path={path})")
        return CacheInfo(folder, meta, reused=True)

    with building(folder, lambda found: load_complete(found) is not None, replace=force) as tmp:
        meta = _build(reader, options, tmp, progress)
        meta["report"]["source"] = identity
        write_meta(tmp, meta)
    info = CacheInfo(folder, json.loads(json.dumps(meta)))  # same types as a reused cache's meta
    log.info(format_report(info))
    return info


def _build(reader: CTRReader, options: PreprocessOptions, folder: Path, progress: bool) -> dict:
    schema = reader.schema
    vocab = options.categorical_mode == "vocab"
    counter = KeyCounter(schema.num_sparse) if vocab else None
    random_split = options.split == "random"
    splitter = (
        StratifiedSplitter(options.split_fractions, options.seed)
        if random_split
        else DaySplitter(options.seed)
    )
    writers: dict[str, PartitionWriter] = {}

    def writer(part: str) -> PartitionWriter:
        if part not in writers:
            writers[part] = PartitionWriter(
                folder, part, schema.num_dense, schema.num_sparse, keep_missing=vocab
            )
        return writers[part]

    if random_split:
        for part in RANDOM_PARTS:
            writer(part)

    def consume(block: Block) -> None:  # runs on the sink thread, in block order
        if counter is not None:
            counter.add(block.keys, block.missing)
        parts = splitter.assign(block.label) if random_split else splitter.assign(block.day)
        for part, rows in parts.items():
            if len(rows):
                writer(part).append(block, rows)

    start = time.perf_counter()
    with ProgressBar(progress, reader) as (bar, task), Sink(consume) as sink:
        for block in reader.blocks():
            if counter is None:
                block.keys = hash_indices(block.keys, block.missing, options.max_rows)
            sink.put(block)
            elapsed = max(time.perf_counter() - start, 1e-9)
            bar.update(
                task, completed=reader.bytes_done, rows=reader.rows_read, rate=reader.rows_read / elapsed
            )
    for w in writers.values():
        w.close()
    pass1 = time.perf_counter() - start

    if counter is not None:
        counts = counter.result()
        maps = [FeatureMap.from_counts(k, c, options.min_count, options.max_rows) for k, c in counts]
        unique = [len(k) for k, _ in counts]
        for w in writers.values():
            remap_keys(w.sparse.path, w.missing_path, w.rows, maps)
            w.missing_path.unlink()
    else:
        maps = [FeatureMap(rows=options.max_rows) for _ in schema.categorical]
        unique = [None] * schema.num_sparse
    seconds = time.perf_counter() - start

    order = sorted(writers, key=lambda p: (RANDOM_PARTS.index(p) if p in RANDOM_PARTS else 0, _day(p)))
    return {
        "cache_version": CACHE_VERSION,
        "complete": True,
        "dataset": options.dataset,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "options": asdict(options),
        "schema": schema.to_dict(),
        "feature_names": schema.feature_names,
        "dense_names": list(schema.dense),
        "sparse_names": schema.sparse_names,
        "num_dense": schema.num_dense,
        "vocab_sizes": [m.rows for m in maps],
        "categorical": [
            {"name": c.name, "kind": c.kind, **m.describe(), "unique_keys": u}
            for c, m, u in zip(schema.categorical, maps, unique, strict=True)
        ],
        "partitions": {p: writers[p].stats() for p in order},
        "days": None if random_split else [_day(p) for p in order],
        "report": {
            "rows_read": reader.rows_read,
            "rows_written": reader.rows_kept,
            "rows_skipped": dict(reader.skipped),
            "seconds": round(seconds, 3),
            "pass1_seconds": round(pass1, 3),
            "rows_per_s": round(reader.rows_read / max(seconds, 1e-9), 1),
        },
    }


def _day(part: str) -> int:
    return int(part.split("_", 1)[1]) if part.startswith("day_") else -1

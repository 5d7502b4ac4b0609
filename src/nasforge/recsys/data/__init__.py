"""CTR data: readers for Criteo, Criteo Terabyte, Avazu and KDD 2012, a streaming preprocessor into a
memory-mapped cache, and a LightningDataModule on top.

Adding a format = a :class:`Schema` plus a :class:`CTRReader` subclass, registered in
:data:`DATASETS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nasforge.recsys.data.avazu import AVAZU, AvazuReader
from nasforge.recsys.data.cache import CacheInfo
from nasforge.recsys.data.criteo import CRITEO, CRITEO_TERABYTE, CriteoReader, CriteoTerabyteReader
from nasforge.recsys.data.errors import DataFileError, MalformedRowError
from nasforge.recsys.data.kdd import KDD, KDDReader
from nasforge.recsys.data.options import DATASETS, PreprocessOptions, make_reader
from nasforge.recsys.data.preprocessor import preprocess
from nasforge.recsys.data.reader import Block, CTRReader
from nasforge.recsys.data.schema import Categorical, Schema

if TYPE_CHECKING:
    from nasforge.recsys.data.datamodule import CTRDataModule
    from nasforge.recsys.data.dataset import CTRBatchDataset, Segment

# torch and lightning load only when the DataModule is asked for: preprocessing alone stays light
_LAZY = {
    "CTRDataModule": "nasforge.recsys.data.datamodule",
    "CTRBatchDataset": "nasforge.recsys.data.dataset",
    "Segment": "nasforge.recsys.data.dataset",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AVAZU",
    "CRITEO",
    "CRITEO_TERABYTE",
    "DATASETS",
    "KDD",
    "AvazuReader",
    "Block",
    "CTRBatchDataset",
    "CTRDataModule",
    "CTRReader",
    "CacheInfo",
    "Categorical",
    "CriteoReader",
    "CriteoTerabyteReader",
    "DataFileError",
    "KDDReader",
    "MalformedRowError",
    "PreprocessOptions",
    "Schema",
    "Segment",
    "make_reader",
    "preprocess",
]

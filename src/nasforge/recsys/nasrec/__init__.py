"""NASRec (https://arxiv.org/abs/2207.07187): its block-wise search space as data."""

from nasforge.recsys.nasrec.choices import (
    BINARY_DENSE_OPS,
    DENSE_OPS,
    DENSE_WIDTHS,
    PUBLISHED,
    SPARSE_OPS,
    SPARSE_WIDTHS,
    ZERO,
)
from nasforge.recsys.nasrec.mutations import MUTATION_KINDS
from nasforge.recsys.nasrec.nasrec_space import NASRecSpace, describe_arch, full_space, small_space

__all__ = [
    "BINARY_DENSE_OPS",
    "DENSE_OPS",
    "DENSE_WIDTHS",
    "MUTATION_KINDS",
    "PUBLISHED",
    "SPARSE_OPS",
    "SPARSE_WIDTHS",
    "ZERO",
    "NASRecSpace",
    "describe_arch",
    "full_space",
    "small_space",
]

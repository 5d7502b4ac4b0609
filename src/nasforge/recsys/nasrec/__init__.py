"""NASRec (https://arxiv.org/abs/2207.07187): search space, weight-sharing supernet, subnet scoring."""

from nasforge.recsys.nasrec.block_path import BlockPath, NASRecPath, full_path, path_from_arch
from nasforge.recsys.nasrec.choices import (
    BINARY_DENSE_OPS,
    DENSE_OPS,
    DENSE_WIDTHS,
    PUBLISHED,
    SPARSE_OPS,
    SPARSE_WIDTHS,
    ZERO,
)
from nasforge.recsys.nasrec.evaluator import SubnetEvaluator, evaluator_from_data, take_rows
from nasforge.recsys.nasrec.mutations import MUTATION_KINDS
from nasforge.recsys.nasrec.network import NASRecNet, balanced_dot_rows, load_arch
from nasforge.recsys.nasrec.samplers import (
    AnyPath,
    FullPath,
    NASRecSampler,
    SingleOperatorAnyConnection,
    SinglePath,
)
from nasforge.recsys.nasrec.space import (
    NASRecSpace,
    describe_arch,
    full_space,
    published_space,
    small_space,
)
from nasforge.recsys.nasrec.supernet import NASRecSupernet

__all__ = [
    "BINARY_DENSE_OPS",
    "DENSE_OPS",
    "DENSE_WIDTHS",
    "MUTATION_KINDS",
    "PUBLISHED",
    "SPARSE_OPS",
    "SPARSE_WIDTHS",
    "ZERO",
    "AnyPath",
    "BlockPath",
    "FullPath",
    "NASRecNet",
    "NASRecPath",
    "NASRecSampler",
    "NASRecSpace",
    "NASRecSupernet",
    "SingleOperatorAnyConnection",
    "SinglePath",
    "SubnetEvaluator",
    "balanced_dot_rows",
    "describe_arch",
    "evaluator_from_data",
    "full_path",
    "full_space",
    "load_arch",
    "path_from_arch",
    "published_space",
    "small_space",
    "take_rows",
]

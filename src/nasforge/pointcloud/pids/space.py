"""The PIDS search space as data: sampling, mutation, validation and the predictors' features."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from nasforge.core.arch import Arch, InvalidArchError, check_arch, genes_list
from nasforge.core.predictors.arch_graph import ArchGraph
from nasforge.pointcloud.pids.stage_table import (
    GENES,
    PUBLISHED_DECODER,
    PUBLISHED_ENCODER,
    TABLES,
    StageChoices,
)

__all__ = ["NUMERICAL_GENES", "PIDSSpace", "pids_space"]

#: genes read as numbers (log(1 + x) in the dense-sparse predictor); ``k`` and ``a`` are categories
NUMERICAL_GENES = ("c", "r", "e")
CATEGORICAL_GENES = ("k", "a")


class PIDSSpace:
    r"""The joint point-interaction and point-dimension space of `"PIDS: Joint Point
    Interaction-Dimension Search for 3D Point Cloud" <https://arxiv.org/abs/2211.15759>`_ (Zhang et
    al., WACV 2023).

    A network is an encoder of stages and a decoder of stages (see
    :mod:`~nasforge.pointcloud.pids.stage_table`); each stage picks its output channels ``c``, blocks
    ``r``, expansion ``e``, kernel points ``k`` and second-order interaction ``a``. The genes list the
    encoder's stages, then the decoder's::

        {"stages": [{"c": 16, "r": 1, "e": 2, "k": 7, "a": 0}, ...]}

    Sampling draws every gene uniformly from its stage's choices; a mutation changes one gene (of a
    stage that has a choice there) to another of its values.

    Args:
        encoder: the encoder's stage rows (default: the published table).
        decoder: the decoder's stage rows, coarsest first; there are at most as many as the encoder's
            stride-2 stages (default: the published table).
    """

    version = 1

    def __init__(
        self,
        encoder: Sequence[Mapping[str, Any]] = PUBLISHED_ENCODER,
        decoder: Sequence[Mapping[str, Any]] = PUBLISHED_DECODER,
    ) -> None:
        name = type(self).__name__
        self.encoder = tuple(
            StageChoices.from_config(row, f"{name} encoder stage {i + 1}") for i, row in enumerate(encoder)
        )
        self.decoder = tuple(
            StageChoices.from_config(row, f"{name} decoder stage {i + 1}") for i, row in enumerate(decoder)
        )
        if not self.encoder or self.encoder[0].stride != 1:
            raise ValueError(f"{name}: the encoder needs at least one stage, the first of stride 1")
        downsamplings = sum(stage.stride == 2 for stage in self.encoder)
        if len(self.decoder) > downsamplings:
            raise ValueError(
                f"{name}: {len(self.decoder)} decoder stages but the encoder downsamples {downsamplings} "
                "times; each decoder stage goes back one density"
            )
        self.stages = self.encoder + self.decoder
        self._kernels = sorted({k for stage in self.stages for k in stage.k})
        self._mutable = [
            (i, gene)
            for i, stage in enumerate(self.stages)
            for gene in GENES
            if len(getattr(stage, gene)) > 1
        ]
        if not self._mutable:
            raise ValueError(f"{name}: every gene has a single choice; there is nothing to search")
        is_default = (tuple(encoder), tuple(decoder)) == (PUBLISHED_ENCODER, PUBLISHED_DECODER)
        digest = hashlib.sha1(json.dumps(self.config, sort_keys=True).encode()).hexdigest()[:8]
        self.name = "pids" if is_default else f"pids-{digest}"

    @property
    def config(self) -> dict[str, Any]:
        """The constructor keywords, as JSON data."""
        return {
            "encoder": [stage.as_config() for stage in self.encoder],
            "decoder": [stage.as_config() for stage in self.decoder],
        }

    # -- sampling and mutation -------------------------------------------------------------------
    def sample(self, rng: np.random.Generator) -> Arch:
        stages = [{gene: int(rng.choice(getattr(stage, gene))) for gene in GENES} for stage in self.stages]
        return Arch(self.name, self.version, {"stages": stages})

    def mutate(self, arch: Arch, rng: np.random.Generator, num_mutations: int = 1) -> Arch:
        self.validate(arch)
        stages = [dict(stage) for stage in arch.genes["stages"]]
        picks = rng.choice(len(self._mutable), size=min(num_mutations, len(self._mutable)), replace=False)
        for pick in np.atleast_1d(picks):
            i, gene = self._mutable[int(pick)]
            others = [v for v in getattr(self.stages[i], gene) if v != stages[i][gene]]
            stages[i][gene] = int(rng.choice(others))
        return Arch(self.name, self.version, {"stages": stages})

    # -- validation ------------------------------------------------------------------------------
    def validate(self, arch: Arch) -> None:
        table = _table_of(arch.space) if arch.space != self.name else None
        if table is not None:
            raise InvalidArchError(
                f"it belongs to the '{table}' stage table's space ('{arch.space}'), not to this one "
                f"('{self.name}'); build the space from that table (pids.settings.table={table})",
                source=f"arch {arch.hash}",
            )
        check_arch(self, arch, self._problems(arch.genes))

    def _problems(self, genes: Any) -> Iterator[str]:
        stages, problems = genes_list(genes, "stages")
        if stages is None:
            yield from problems
            return
        if len(stages) != len(self.stages):
            expected = f"{len(self.stages)} ({self.describe_stages()})"
            yield f"genes.stages has {len(stages)} stages, expected {expected}"
            return
        for i, (stage, choices) in enumerate(zip(stages, self.stages, strict=True)):
            where = f"stage {i + 1} ({self.stage_name(i)})"
            if not isinstance(stage, Mapping) or set(stage) != set(GENES):
                keys = sorted(stage) if isinstance(stage, Mapping) else type(stage).__name__
                yield f"{where}: genes must be {list(GENES)}, got {keys}"
                continue
            for gene in GENES:
                value, allowed = stage[gene], getattr(choices, gene)
                if isinstance(value, bool) or value not in allowed:
                    yield f"{where}: {gene}={value!r} is not one of {list(allowed)}"

    def stage_name(self, index: int) -> str:
        """``encoder 3`` or ``decoder 1`` for the stage at ``index`` of the genes."""
        n = len(self.encoder)
        return f"encoder {index + 1}" if index < n else f"decoder {index - n + 1}"

    def describe_stages(self) -> str:
        return f"{len(self.encoder)} encoder stages, then {len(self.decoder)} decoder stages"

    # -- features for predictors -----------------------------------------------------------------
    def encode(self, arch: Arch) -> np.ndarray:
        """Per stage: each numerical gene scaled to [0, 1] over its choices, one-hot ``k`` and ``a``."""
        self.validate(arch)
        return np.concatenate([self._stage_features(stage, choices) for stage, choices in self._pairs(arch)])

    def encode_dense_sparse(self, arch: Arch) -> tuple[np.ndarray, np.ndarray]:
        """The raw numerical genes (``c``, ``r``, ``e`` of every stage) and the index of each
        categorical gene's value among its stage's choices (``k``, ``a`` of every stage)."""
        self.validate(arch)
        dense = [stage[gene] for stage, _ in self._pairs(arch) for gene in NUMERICAL_GENES]
        sparse = [
            getattr(c, gene).index(stage[gene])
            for stage, c in self._pairs(arch)
            for gene in CATEGORICAL_GENES
        ]
        return np.asarray(dense, dtype=np.float32), np.asarray(sparse, dtype=np.int64)

    def sparse_cardinalities(self) -> list[int]:
        """Choices of each categorical gene, in :meth:`encode_dense_sparse`'s order."""
        return [len(getattr(stage, gene)) for stage in self.stages for gene in CATEGORICAL_GENES]

    def graph(self, arch: Arch) -> ArchGraph:
        """The stages as a chain of nodes (features as :meth:`encode`'s per stage, plus whether the
        stage decodes and whether it downsamples), with the U-Net's skips from each encoder density
        to the decoder stage that reads it."""
        self.validate(arch)
        n = len(self.encoder)
        rows = [
            np.append(self._stage_features(stage, choices), [float(i >= n), float(choices.stride == 2)])
            for i, (stage, choices) in enumerate(self._pairs(arch))
        ]
        chain = [(i, i + 1) for i in range(len(self.stages) - 1)]
        return ArchGraph(np.stack(rows), np.asarray(chain + self.skips(), dtype=np.int64).T.reshape(2, -1))

    def skips(self) -> list[tuple[int, int]]:
        """``(encoder stage, decoder stage)`` index pairs: the last encoder stage at each density feeds
        the decoder stage that upsamples to it."""
        last_at_density: dict[int, int] = {}
        density = 0
        for i, stage in enumerate(self.encoder):
            density += stage.stride == 2
            last_at_density[density] = i
        top = density
        return [(last_at_density[top - 1 - j], len(self.encoder) + j) for j in range(len(self.decoder))]

    def _pairs(self, arch: Arch) -> Iterator[tuple[Mapping[str, int], StageChoices]]:
        return zip(arch.genes["stages"], self.stages, strict=True)

    def _stage_features(self, stage: Mapping[str, int], choices: StageChoices) -> np.ndarray:
        numbers = [_unit(stage[gene], getattr(choices, gene)) for gene in NUMERICAL_GENES]
        kernels = [float(stage["k"] == k) for k in self._kernels]
        return np.asarray([*numbers, *kernels, float(stage["a"])], dtype=np.float32)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, {self.describe_stages()})"


def _unit(value: int, choices: Sequence[int]) -> float:
    """``value`` scaled to [0, 1] over ``choices`` (0 when there is one choice)."""
    low, high = choices[0], choices[-1]
    return 0.0 if high == low else (value - low) / (high - low)


def _table_of(space_name: str) -> str | None:
    """The named stage table whose space is called ``space_name``, if any."""
    return next((table for table in TABLES if pids_space(table).name == space_name), None)


def pids_space(table: str = "published") -> PIDSSpace:
    """The space of a named stage table (:data:`~nasforge.pointcloud.pids.stage_table.TABLES`)."""
    if table not in TABLES:
        raise ValueError(f"pids_space: unknown table {table!r}; choose one of {sorted(TABLES)}")
    return PIDSSpace(*TABLES[table])

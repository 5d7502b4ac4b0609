"""FGPS's second-shot sampler: the paths of a chosen set, with a share of paths of the whole space."""

from __future__ import annotations

import numpy as np

from nasforge.core.search.path_set import load_path_set
from nasforge.recsys.nasrec.block_path import NASRecPath, path_from_arch
from nasforge.recsys.nasrec.samplers import NASRecSampler
from nasforge.recsys.nasrec.space import NASRecSpace

__all__ = ["PathSetSampler"]


class PathSetSampler(NASRecSampler):
    """At each step one path of the set in ``path_set_file``, drawn uniformly, or, with probability
    ``uniform_share``, an architecture of the whole space (as NASRec's single-operator any-connection
    sampler draws it), so that paths outside the set keep some training.

    Args:
        space: the supernet's space.
        path_set_file: the set (:func:`~nasforge.core.search.path_set.save_path_set`); a two-shot
            pipeline's second shot sets it from its ``path_set_stage``.
        uniform_share: probability of a path of the whole space instead of one of the set
            (default: ``0.1``, this project's choice).
        warmup_steps, seed, space_file: see :class:`~nasforge.recsys.nasrec.samplers.NASRecSampler`.
    """

    draws_architectures = True

    def __init__(
        self,
        space: NASRecSpace,
        path_set_file: str | None = None,
        uniform_share: float = 0.1,
        warmup_steps: int = 0,
        seed: int = 0,
        space_file: str | None = None,
    ) -> None:
        if path_set_file is None:
            raise ValueError(
                "PathSetSampler: path_set_file is required (the stage that trains on a path set sets it from "
                "its path_set_stage)"
            )
        if not 0.0 <= uniform_share <= 1.0:
            raise ValueError(f"PathSetSampler: uniform_share must be in [0, 1], got {uniform_share}")
        super().__init__(space, warmup_steps, seed, space_file)
        self.path_set_file, self.uniform_share = path_set_file, float(uniform_share)
        self.paths = [path_from_arch(arch) for arch in load_path_set(path_set_file, space)]

    def sample(self, rng: np.random.Generator) -> NASRecPath:
        if rng.random() < self.uniform_share:
            return path_from_arch(self.architecture(rng))
        return self.paths[int(rng.integers(len(self.paths)))]

"""FGPS (Farthest Greedy Path Sampling for two-shot recommender search, arXiv:2310.20705) on the NASRec
supernet: the second shot's sampler (the path-set selection is domain-free:
:mod:`nasforge.core.search.path_set`)."""

from nasforge.recsys.fgps.sampler import PathSetSampler

__all__ = ["PathSetSampler"]

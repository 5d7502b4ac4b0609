"""The days' gates combined into one set: a (row-weighted) average of their gate probabilities."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["aggregate_gates"]


def aggregate_gates(
    results: Sequence[Mapping[str, Any]], weight_by_rows: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Module gates ``[blocks, modules]`` and input gates ``[blocks, blocks]`` averaged over the days'
    ``results`` (each with ``module_gates``, ``input_gates`` and ``rows``), weighted by the rows each
    day trained on, or equally."""
    if not results:
        raise ValueError("aggregate_gates: no day to aggregate")
    weights = np.asarray([float(r["rows"]) if weight_by_rows else 1.0 for r in results])
    if weights.sum() <= 0:
        raise ValueError(
            f"aggregate_gates: the days' weights {weights.tolist()} do not sum to a positive number"
        )
    weights = weights / weights.sum()
    modules = np.einsum("d,dij->ij", weights, np.asarray([r["module_gates"] for r in results], dtype=float))
    inputs = np.einsum("d,dij->ij", weights, np.asarray([r["input_gates"] for r in results], dtype=float))
    return modules, inputs

"""From gates to an architecture: keep what passes the threshold, at least one of each per block."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nasforge.core.arch import Arch
from nasforge.recsys.distdnas.space import DistDNASSpace

__all__ = ["derive_arch"]


def derive_arch(
    space: DistDNASSpace,
    module_gates: Sequence[Sequence[float]],
    input_gates: Sequence[Sequence[float]],
    threshold: float = 0.5,
) -> Arch:
    """The architecture whose blocks keep every module and connection with gate ``>= threshold``;
    a block where none passes keeps its strongest one (a block needs a module and an input).

    Args:
        space: the space the gates belong to.
        module_gates: ``[blocks, modules]`` gate probabilities.
        input_gates: ``[blocks, blocks]`` connection gate probabilities (entry ``[i, s]`` for the
            connection from source ``s`` to block ``i``; entries with ``s > i`` are ignored).
        threshold: the gate a module or connection needs to be kept (default: ``0.5``).
    """
    modules, inputs = np.asarray(module_gates, dtype=float), np.asarray(input_gates, dtype=float)
    n, m = space.num_blocks, len(space.modules)
    if modules.shape != (n, m) or inputs.shape != (n, n):
        raise ValueError(
            f"derive_arch: gates of shapes {modules.shape} and {inputs.shape} do not fit {space.name}, "
            f"which needs [{n}, {m}] module gates and [{n}, {n}] input gates"
        )
    blocks = []
    for i in range(n):
        blocks.append(
            (_kept(modules[i], threshold, space.modules), _kept(inputs[i, : i + 1], threshold, range(i + 1)))
        )
    return space.arch(blocks)


def _kept(gates: np.ndarray, threshold: float, names: Sequence) -> list:
    chosen = [names[k] for k in np.flatnonzero(gates >= threshold)]
    return chosen or [names[int(np.argmax(gates))]]

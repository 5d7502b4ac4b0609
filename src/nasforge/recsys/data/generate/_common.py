"""Shared pieces of the synthetic CTR generators: skewed value samplers, random streams, calibration.

Each generator draws everything from :func:`stream` keyed by the seed, so a world (vocabularies, effects)
is a pure function of the seed and a file a pure function of its arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

_M64 = 0xFFFFFFFFFFFFFFFF


@dataclass(frozen=True)
class Field:
    """A categorical field whose value indices follow a truncated power law (a few heavy hitters, long tail).

    Args:
        name: column name in the public format.
        size: number of distinct values (vocabulary size).
        exponent: power-law exponent ``s`` of ``p(rank) ~ (rank + 1) ** -s``; larger is more skewed
            (default: 1.1). Must not be 1.
        head: probability of index 0 as a value of its own, outside the power law over ``1..size-1``:
            Avazu's dominant ``device_id`` or its "no site"/"no app" codes (default: 0, no such value).
    """

    name: str
    size: int
    exponent: float = 1.1
    head: float = 0.0

    def draw(self, rng: np.random.Generator, n: int, head_rows: np.ndarray | None = None) -> np.ndarray:
        """Draw ``n`` value indices in ``[0, size)`` by inverting the continuous power-law CDF.

        The closed form costs one ``pow`` per draw, against a binary search per draw for a tabulated CDF.
        ``head_rows`` (a boolean mask) picks the rows that take index 0 when several fields must agree on
        it; by default they are drawn with probability :attr:`head`.
        """
        if not self.head:
            return self._power_law(rng, n, self.size)
        idx = self._power_law(rng, n, self.size - 1) + 1
        idx[rng.random(n) < self.head if head_rows is None else head_rows] = 0
        return idx

    def _power_law(self, rng: np.random.Generator, n: int, size: int) -> np.ndarray:
        one_s = 1.0 - self.exponent
        hi = (size + 1.0) ** one_s
        x = (1.0 + (hi - 1.0) * rng.random(n)) ** (1.0 / one_s) - 1.0
        return np.minimum(x.astype(np.int64), size - 1)

    def pmf(self) -> np.ndarray:
        """Exact probabilities of the indices :meth:`draw` returns (used to centre planted effects)."""
        size = self.size - 1 if self.head else self.size
        one_s = 1.0 - self.exponent
        hi = (size + 1.0) ** one_s
        cdf = ((np.arange(size + 1, dtype=np.float64) + 1.0) ** one_s - 1.0) / (hi - 1.0)
        p = np.diff(cdf)
        return np.concatenate([[self.head], (1.0 - self.head) * p]) if self.head else p


@dataclass(frozen=True)
class TabulatedField(Field):
    """A categorical field with explicit value probabilities (slots, demographics) instead of a power law."""

    probs: tuple[float, ...] = ()

    def draw(self, rng: np.random.Generator, n: int, head_rows: np.ndarray | None = None) -> np.ndarray:
        return rng.choice(self.size, n, p=self.pmf())

    def pmf(self) -> np.ndarray:
        p = np.asarray(self.probs, dtype=np.float64)
        return p / p.sum()


@dataclass
class CTRBatch:
    """Rows of a synthetic data set together with the logit that generated their labels.

    ``fields`` holds the raw column values: value indices for categoricals (index ``size`` = missing) and
    integers for counts; ``missing`` holds a boolean mask per column that has missing values. The logit is
    split into its parts so tests can check that pairwise interactions carry real signal:
    ``logit = bias + first_order + interaction``.
    """

    fields: dict[str, np.ndarray]
    label: np.ndarray
    first_order: np.ndarray
    interaction: np.ndarray
    bias: float = 0.0
    missing: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def logit(self) -> np.ndarray:
        return self.bias + self.first_order + self.interaction

    def __len__(self) -> int:
        return len(self.label)

    @staticmethod
    def concat(batches: Sequence[CTRBatch]) -> CTRBatch:
        def cat(key: str, dicts: list[dict[str, np.ndarray]]) -> np.ndarray:
            return np.concatenate([d[key] for d in dicts])

        fields = [b.fields for b in batches]
        missing = [b.missing for b in batches]
        return CTRBatch(
            fields={k: cat(k, fields) for k in batches[0].fields},
            label=np.concatenate([b.label for b in batches]),
            first_order=np.concatenate([b.first_order for b in batches]),
            interaction=np.concatenate([b.interaction for b in batches]),
            bias=batches[0].bias,
            missing={k: cat(k, missing) for k in batches[0].missing},
        )


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def stream(seed: int, *key: int) -> np.random.Generator:
    """An independent random stream for ``(seed, *key)``; keys are small non-negative ints."""
    return np.random.default_rng([int(seed) & _M64, *key])


def calibrate_bias(logit: np.ndarray, rate: float, fn: Callable[[np.ndarray], np.ndarray] = sigmoid) -> float:
    """The bias ``b`` with ``mean(fn(logit + b)) == rate``, by bisection (``fn`` must be increasing)."""
    lo, hi = -30.0, 30.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if fn(logit + mid).mean() < rate:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def centred_table(rng: np.random.Generator, spec: Field, *shape: int, extra_rows: int = 0) -> np.ndarray:
    """Gaussian per-value parameters with zero mean under the field's value distribution.

    Centring matters for the interaction tables: ``E_b <u(a), v(b)> = <u(a), E v>`` would otherwise leak
    into a first-order effect that logistic regression can fit, shrinking the gap to FM-type models.
    ``extra_rows`` appends uncentred rows (e.g. the "missing" value).
    """
    table = rng.standard_normal((spec.size + extra_rows, *shape))
    table[: spec.size] -= np.tensordot(spec.pmf(), table[: spec.size], axes=1)
    return table


def check_count(owner: str, name: str, value: int, minimum: int = 0) -> int:
    """``value`` as an int, or a ValueError naming the function and argument (counts, seeds' keys)."""
    if isinstance(value, bool) or int(value) != value or value < minimum:
        raise ValueError(f"{owner}: {name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)

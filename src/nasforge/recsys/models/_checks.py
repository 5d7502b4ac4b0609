"""Constructor-argument checks shared by the CTR models and layers."""

from __future__ import annotations

import operator
from collections.abc import Sequence


def check_int(owner: str, name: str, value: object, minimum: int, hint: str = "") -> int:
    """Return ``value`` as an ``int`` or raise a ``ValueError`` naming ``owner``, the value and the fix."""
    try:
        if isinstance(value, bool):
            raise TypeError
        result = operator.index(value)  # accepts numpy ints, rejects floats and strings
    except TypeError:
        result = None
    if result is None or result < minimum:
        extra = f" ({hint})" if hint else ""
        raise ValueError(f"{owner}: {name} must be an int >= {minimum}{extra}, got {value!r}.")
    return result


def check_vocab_sizes(owner: str, vocab_sizes: Sequence[int]) -> tuple[int, ...]:
    """Normalise ``vocab_sizes`` (list, tuple, ``ListConfig``, numpy array) to a tuple of positive ints."""
    if isinstance(vocab_sizes, (str, bytes)) or not hasattr(vocab_sizes, "__len__") or len(vocab_sizes) == 0:
        raise ValueError(
            f"{owner}: vocab_sizes must be a non-empty sequence with one table size per categorical "
            f"feature, got {vocab_sizes!r}; pass the data module's vocab sizes."
        )
    return tuple(
        check_int(owner, f"vocab_sizes[{i}]", v, 1, "rows of that feature's table")
        for i, v in enumerate(vocab_sizes)
    )


def check_sizes(owner: str, name: str, sizes: Sequence[int]) -> tuple[int, ...]:
    """Normalise a layer-width list such as ``hidden=(512, 256)``; an empty sequence is allowed."""
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise ValueError(
            f"{owner}: {name} must be a sequence of layer widths like (512, 256), got {sizes!r}."
        )
    return tuple(check_int(owner, f"{name}[{i}]", v, 1, "a layer width") for i, v in enumerate(sizes))


def check_dropout(owner: str, dropout: float) -> float:
    """Return ``dropout`` as a float in [0, 1) or raise."""
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
        raise ValueError(f"{owner}: dropout must be a float in [0, 1), got {dropout!r}.")
    return float(dropout)

"""Architectures as data: the immutable :class:`Arch` record and the :class:`SearchSpace` protocol.

An architecture is plain JSON data (its *genes*) tagged with the name and version of the search space
that interprets it. It is immutable and hashable, so a search can keep sets of seen architectures, and
its :attr:`Arch.hash` is a digest of canonical JSON, so the same architecture has the same hash in every
process, on every machine and in every Python version; ``history.jsonl`` and ``best_arch.json`` rely on
that.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "Arch",
    "FrozenDict",
    "InvalidArchError",
    "SearchSpace",
    "canonical_arch",
    "check_arch",
    "freeze",
    "genes_list",
    "thaw",
]

_KEYS = ("space", "version", "genes")
_JSON_TYPES = "dict (str keys), list, str, int, float, bool or None"


class InvalidArchError(ValueError):
    """An architecture (or its file) that cannot be read or does not belong to a search space.

    Args:
        problems: one message per problem found; all of them are listed.
        source: where the architecture came from (a file path or a short description).
    """

    def __init__(self, problems: str | Iterable[str], source: str | None = None) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.source = source
        where = f" ({source})" if source else ""
        if len(self.problems) == 1:
            message = f"Invalid architecture{where}: {self.problems[0]}"
        else:
            listed = "\n".join(f"  - {p}" for p in self.problems)
            message = f"Invalid architecture{where}, {len(self.problems)} problems:\n{listed}"
        super().__init__(message)


class FrozenDict(Mapping[str, Any]):
    """A read-only, hashable ``dict`` with string keys (the frozen form of a JSON object).

    Its hash is computed on first use (genes are compared through :attr:`Arch.hash`, so most frozen
    objects are never hashed themselves), and so is its canonical JSON, which it keeps: genes that
    share a frozen part with other genes (a mutation's child with its parent) encode only what is new.
    """

    __slots__ = ("_data", "_hash", "_json")

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = dict(data)
        self._hash: int | None = None
        self._json: str | None = None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(sorted(self._data.items())))
        return self._hash

    def __repr__(self) -> str:
        return f"FrozenDict({self._data!r})"


#: exact types that :func:`freeze` keeps as they are, checked first because genes are mostly these
_PLAIN = frozenset({str, int, bool, type(None)})


class _Unfreezable(Exception):
    """A value :func:`freeze` refuses. The path to it is built while the recursion unwinds, so a
    successful freeze never formats one."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.steps: list[str] = []  # innermost first

    def problem(self, where: str) -> str:
        return where + "".join(reversed(self.steps)) + self.detail


def freeze(value: Any, where: str = "genes") -> Any:
    """Return ``value`` as frozen JSON data: dicts become :class:`FrozenDict`, lists and tuples tuples.

    NumPy scalars and arrays are converted to Python numbers and tuples, so a space may build genes
    straight from a ``np.random.Generator``. Anything that JSON cannot hold raises
    :class:`InvalidArchError` naming the path of the bad value (``genes.blocks[2].width``).
    """
    try:
        return _freeze(value)
    except _Unfreezable as bad:
        raise InvalidArchError(bad.problem(where)) from None


def _freeze(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        raise _Unfreezable(f" is {value}; JSON holds only finite numbers")
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return _freeze_mapping(value)
    if isinstance(value, (list, tuple)):
        return _freeze_sequence(value)
    raise _Unfreezable(f" has type {type(value).__name__}; genes must be {_JSON_TYPES}")


def _freeze_mapping(value: Mapping[Any, Any]) -> FrozenDict:
    bad = [k for k in value if not isinstance(k, str)]
    if bad:
        raise _Unfreezable(f" has non-string keys {bad!r}; JSON object keys are strings")
    frozen = {}
    for key, item in value.items():
        try:
            frozen[key] = _freeze(item)
        except _Unfreezable as err:
            err.steps.append(f".{key}")
            raise
    return FrozenDict(frozen)


def _freeze_sequence(value: list[Any] | tuple[Any, ...]) -> tuple[Any, ...]:
    frozen: list[Any] = []
    for item in value:
        try:
            frozen.append(_freeze(item))
        except _Unfreezable as err:
            err.steps.append(f"[{len(frozen)}]")
            raise
    return tuple(frozen)


def thaw(value: Any) -> Any:
    """Inverse of :func:`freeze`: plain, mutable ``dict``/``list`` data (a fresh copy)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) for v in value]
    return value


def _unwrap(value: Any) -> Any:
    """The ``default`` of the JSON encoders here: a :class:`FrozenDict` is written as the dict it
    wraps (tuples are lists to JSON already), so frozen data need not be thawed to be written."""
    if isinstance(value, FrozenDict):
        return value._data
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# Frozen data is built bottom-up from immutable parts, so it cannot hold a cycle: the encoder skips
# the check for one, a third of its time.
_CANONICAL = json.JSONEncoder(
    sort_keys=True,
    separators=(",", ":"),
    ensure_ascii=True,
    allow_nan=False,
    check_circular=False,
    default=_unwrap,
)


#: the canonical text of the scalars that name and number genes, made without the encoder's setup
_SCALAR_JSON: dict[type, Callable[[Any], str]] = {str: encode_basestring_ascii, int: int.__repr__}


#: a JSON string literal (escapes included), captured, to split JSON text on
_JSON_STRING = re.compile(r'("[^"\\]*(?:\\.[^"\\]*)*")')


def _spaced(text: str) -> str:
    """Canonical JSON text in ``json.dumps``'s default layout: the two differ only in a space after
    each ``,`` and ``:`` outside string literals."""
    parts = _JSON_STRING.split(text)
    parts[::2] = [part.replace(",", ", ").replace(":", ": ") for part in parts[::2]]
    return "".join(parts)


def _canonical_json(value: Any) -> str:
    """The text ``_CANONICAL.encode(value)`` gives for frozen data, from the texts that the
    :class:`FrozenDict` s in it keep (made here when missing): keys sorted, then joined as the encoder
    joins them. Other values, and lists that hold more than frozen dicts, go to the encoder whole."""
    kind = type(value)
    if kind is FrozenDict:
        if value._json is None:
            data = value._data
            items = (f"{encode_basestring_ascii(key)}:{_canonical_json(data[key])}" for key in sorted(data))
            value._json = "{" + ",".join(items) + "}"
        return value._json
    if kind in _SCALAR_JSON:
        return _SCALAR_JSON[kind](value)
    if kind is tuple and value and all(type(item) is FrozenDict for item in value):
        return "[" + ",".join(map(_canonical_json, value)) + "]"
    return _CANONICAL.encode(value)


@dataclass(frozen=True, eq=False)
class Arch:
    """One architecture of a search space, as immutable JSON data.

    Two archs are equal when their canonical JSON is equal (so ``1`` and ``1.0`` differ, as they do in
    the file), and equal archs share :attr:`hash`.

    Args:
        space: name of the search space that interprets ``genes``.
        version: version of that space's gene format (bumped when old genes stop meaning the same).
        genes: JSON-able data; stored frozen (see :func:`freeze`); use :func:`thaw` for a mutable copy.
    """

    space: str
    version: int
    genes: Any
    _key: str = field(init=False, repr=False)
    _digest: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _check_header(self.space, self.version)
        object.__setattr__(self, "genes", freeze(self.genes))
        self._set_key()

    @classmethod
    def from_frozen(cls, space: str, version: int, genes: Any) -> Arch:
        """An arch whose ``genes`` are already frozen (as :func:`freeze` returns them, every part a
        :class:`FrozenDict`, tuple or JSON scalar), taken as they are instead of walked again.

        For a space that builds genes from parts it froze itself, many thousand times a second; genes
        that are not frozen would make a mutable arch, so anything else goes through ``Arch(...)``.
        """
        _check_header(space, version)
        arch = object.__new__(cls)
        object.__setattr__(arch, "space", space)
        object.__setattr__(arch, "version", version)
        object.__setattr__(arch, "genes", genes)
        arch._set_key()
        return arch

    def _set_key(self) -> None:
        """Store the canonical JSON of space, version and genes (equality and ``hash()`` read it) and
        its digest (:attr:`hash`, which a search reads several times per arch)."""
        key = _canonical_json(FrozenDict({"space": self.space, "version": self.version, "genes": self.genes}))
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_digest", hashlib.sha1(key.encode("ascii")).hexdigest()[:12])

    @property
    def hash(self) -> str:
        """First 12 hex digits of the SHA-1 of the canonical JSON of space, version and genes."""
        return self._digest

    def genes_json(self) -> str:
        """The genes as ``json.dumps(thaw(genes), sort_keys=True)`` writes them (as a history line holds
        them), made from the canonical JSON kept with the genes instead of encoded again."""
        return _spaced(_canonical_json(self.genes))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Arch) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        return f"Arch(space={self.space!r}, version={self.version}, hash={self.hash!r})"

    def training_seed(self, seed: int) -> int:
        """A torch seed of this architecture under a run's ``seed``: an evaluator that trains it seeds
        with this, so its label is a function of the architecture and repeats on resume."""
        return (int(self.hash[:8], 16) ^ int(seed)) % (2**31)

    def with_genes(self, genes: Any) -> Arch:
        """A new arch of the same space and version with other genes (what ``mutate`` returns)."""
        return Arch(self.space, self.version, genes)

    def to_dict(self) -> dict[str, Any]:
        """Plain data: ``space``, ``version``, ``genes`` and, for people reading the file, ``hash``."""
        return {"space": self.space, "version": self.version, "genes": thaw(self.genes), "hash": self.hash}

    @classmethod
    def from_dict(cls, data: Any, source: str | None = None) -> Arch:
        """Build an arch from :meth:`to_dict` output; ``hash``, if present, is derived and ignored."""
        if not isinstance(data, Mapping):
            raise InvalidArchError(f"expected a JSON object, got {type(data).__name__}", source)
        missing = [k for k in _KEYS if k not in data]
        unknown = sorted(set(data) - {*_KEYS, "hash"})
        problems = [f"missing key '{k}'" for k in missing]
        problems += [f"unknown key '{k}' (allowed: {', '.join((*_KEYS, 'hash'))})" for k in unknown]
        if problems:
            raise InvalidArchError(problems, source)
        try:
            return cls(data["space"], data["version"], data["genes"])
        except InvalidArchError as err:
            raise InvalidArchError(err.problems, source) from None

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, indent=indent, allow_nan=False)

    @classmethod
    def from_json(cls, text: str, source: str | None = None) -> Arch:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            problem = f"not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}"
            raise InvalidArchError(problem, source) from None
        return cls.from_dict(data, source)

    def save(self, path: str | Path) -> Path:
        """Write the arch as indented JSON, atomically (a killed run never leaves half a file)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(self.to_json(indent=2) + "\n")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Arch:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(errno.ENOENT, "architecture file not found", str(path))
        return cls.from_json(path.read_text(), source=str(path))


def _check_header(space: Any, version: Any) -> None:
    problems = []
    if not isinstance(space, str) or not space:
        problems.append(f"'space' must be a non-empty string, got {space!r}")
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        problems.append(f"'version' must be a non-negative integer, got {version!r}")
    if problems:
        raise InvalidArchError(problems)


@runtime_checkable
class SearchSpace(Protocol):
    """What the search machinery needs from a search space.

    ``sample`` and ``mutate`` must draw all randomness from the ``rng`` they are given (never from
    global state): a resumed search replays the same draws. ``mutate`` returns a valid arch that differs
    from its input. ``encode`` gives a fixed-length float vector for predictors.

    Optionally, ``canonical(arch)`` maps every architecture that computes the same function to one
    of them (see :func:`canonical_arch`); searches then evaluate and retrain one of each.
    """

    name: str
    version: int

    def sample(self, rng: np.random.Generator) -> Arch: ...

    def mutate(self, arch: Arch, rng: np.random.Generator, num_mutations: int = 1) -> Arch: ...

    def validate(self, arch: Arch) -> None: ...

    def encode(self, arch: Arch) -> np.ndarray: ...


def check_arch(space: SearchSpace, arch: Arch, problems: Iterable[str] = ()) -> None:
    """Raise :class:`InvalidArchError` listing every problem of ``arch`` for ``space``.

    The space name and version are checked first; ``problems`` (the space's own findings about the
    genes, best given as a generator) is consumed only when they match, since gene checks written for
    one space mean nothing for another.
    """
    if not isinstance(arch, Arch):
        raise TypeError(f"{type(space).__name__}.validate expects an Arch, got {type(arch).__name__}")
    found = []
    if arch.space != space.name:
        found.append(f"space is '{arch.space}', expected '{space.name}'")
    if arch.version != space.version:
        found.append(f"version is {arch.version}, expected {space.version} (space '{space.name}')")
    if not found:
        found = list(problems)
    if found:
        raise InvalidArchError(found, source=f"arch {arch.hash}")


def canonical_arch(space: SearchSpace, arch: Arch) -> Arch:
    """One architecture per function ``space`` computes: ``space.canonical(arch)`` where the space
    defines it (genes that do not reach the output set to fixed values), else ``arch`` itself."""
    canonical = getattr(space, "canonical", None)
    return arch if canonical is None else canonical(arch)


def genes_list(genes: Any, key: str) -> tuple[tuple[Any, ...] | None, list[str]]:
    """The list that genes of the form ``{key: [...]}`` hold (frozen: a tuple), or ``None`` and the
    problems that prevent reading it; spaces whose genes are one list of blocks or stages share it."""
    if not isinstance(genes, Mapping) or set(genes) != {key}:
        keys = sorted(genes) if isinstance(genes, Mapping) else type(genes).__name__
        return None, [f"genes must be an object with the single key '{key}', got {keys}"]
    items = genes[key]
    if not isinstance(items, tuple):
        return None, [f"genes.{key} must be a list of {key}, got {type(items).__name__}"]
    return items, []

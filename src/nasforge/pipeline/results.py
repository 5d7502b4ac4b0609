"""Typed records that stages hand on to later stages, and their JSON form in ``stages/<name>.json``.

A stage declares the kind of record it produces (``produces``) and, by stage name, the kinds it
consumes (``consumes``); the pipeline checks that wiring before the first stage starts. Records are
frozen dataclasses of JSON data, so a resumed run reads back exactly what the finished stage handed on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from nasforge.core.arch import Arch

__all__ = [
    "Candidate",
    "LabelsResult",
    "PathSetResult",
    "PredictorResult",
    "ReportResult",
    "ResultFileError",
    "RetrainResult",
    "SearchResult",
    "ShrinkResult",
    "StageResult",
    "TrainResult",
    "WeightsResult",
]

R = TypeVar("R", bound="StageResult")


class ResultFileError(ValueError):
    """A stage marker (``stages/<name>.json``) that does not hold the record its stage produces."""


@dataclass(frozen=True, kw_only=True)
class StageResult:
    """What every stage hands on: its metrics, merged into the run's ``metrics.json``.

    Args:
        metrics: metric name -> value (default: none).
    """

    metrics: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The record as JSON data (what the stage marker holds)."""
        return {f.name: _encode(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_json(cls: type[R], data: Any, source: str | Path = "stage result") -> R:
        """Read a record back from :meth:`to_json`'s data; keys it does not know are ignored.

        Raises:
            ResultFileError: when ``data`` is not an object or misses a field without default.
        """
        if not isinstance(data, Mapping):
            raise ResultFileError(f"{source}: expected a JSON object, got {type(data).__name__}")
        values, missing = {}, []
        for f in fields(cls):
            if f.name in data:
                values[f.name] = cls._decode(f.name, data[f.name], source)
            elif f.default is MISSING and f.default_factory is MISSING:
                missing.append(f.name)
        if missing:
            raise ResultFileError(
                f"{source}: a {cls.__name__} needs {missing}, which the file lacks (it was written by "
                "another version of the stage); delete it to run that stage again"
            )
        return cls(**values)

    @classmethod
    def _decode(cls, name: str, value: Any, source: str | Path) -> Any:
        """A field's value from JSON; subclasses with non-JSON fields override this."""
        return value


@dataclass(frozen=True, kw_only=True)
class TrainResult(StageResult):
    """A trained network.

    Args:
        best_checkpoint: path of the best Lightning checkpoint ("" when none was saved, e.g. under
            ``fast_dev_run``).
    """

    best_checkpoint: str = ""


@dataclass(frozen=True, kw_only=True)
class WeightsResult(TrainResult):
    """A trained network whose final ``state_dict`` was saved for later stages (a supernet to search,
    a network to analyse, a first shot to start a second one from).

    Args:
        weights: path of the saved ``state_dict``.
    """

    weights: str


@dataclass(frozen=True, kw_only=True)
class LabelsResult(StageResult):
    """Architectures evaluated for real, as labels for a predictor.

    Args:
        history: path of the ``history.jsonl`` that holds them.
    """

    history: str


@dataclass(frozen=True, kw_only=True)
class ShrinkResult(LabelsResult):
    """A shrunk search space and the evaluations that chose it, which are labels a predictor can
    learn from like a ground-truth stage's.

    Args:
        space_file: the saved sub-space (see :func:`~nasforge.core.search.subspace.load_subspace`).
    """

    space_file: str


@dataclass(frozen=True, kw_only=True)
class PathSetResult(StageResult):
    """A set of paths (architectures) a supernet trains on, e.g. FGPS's second shot.

    Args:
        path_set: the JSON file of the set (see :func:`nasforge.core.search.path_set.load_path_set`).
    """

    path_set: str


@dataclass(frozen=True, kw_only=True)
class PredictorResult(StageResult):
    """Fitted predictors of a quality metric and a cost.

    Args:
        predictor: path of the quality predictor file.
        cost_predictor: path of the cost predictor file.
        cost_median: median cost of the labelled architectures (a default cost budget).
    """

    predictor: str
    cost_predictor: str
    cost_median: float


@dataclass(frozen=True)
class Candidate:
    """A searched architecture with the metrics the search measured for it."""

    arch: Arch
    metrics: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"arch": self.arch.to_dict(), "metrics": self.metrics}

    @classmethod
    def from_json(cls, data: Any, source: str | Path) -> Candidate:
        if not isinstance(data, Mapping) or "arch" not in data:
            raise ResultFileError(f"{source}: a candidate needs 'arch' and 'metrics', got {data!r:.200}")
        return cls(Arch.from_dict(data["arch"], source=str(source)), dict(data.get("metrics", {})))


@dataclass(frozen=True, kw_only=True)
class SearchResult(StageResult):
    """A finished search: its history and its best architectures, best first.

    Args:
        history: path of the search's ``history.jsonl``.
        top_k: the best architectures, best first.
        pareto: path of the accuracy-cost Pareto front (JSON), when the search measured costs.
    """

    history: str
    top_k: tuple[Candidate, ...]
    pareto: str | None = None

    def __post_init__(self) -> None:
        if not self.top_k:
            raise ValueError("SearchResult: a finished search hands on at least one architecture")

    @classmethod
    def _decode(cls, name: str, value: Any, source: str | Path) -> Any:
        if name == "top_k":
            if not isinstance(value, list):
                raise ResultFileError(f"{source}: 'top_k' must be a list, got {type(value).__name__}")
            return tuple(Candidate.from_json(item, source) for item in value)
        return value


@dataclass(frozen=True, kw_only=True)
class RetrainResult(StageResult):
    """Architectures retrained from scratch and the best of them, exported.

    Args:
        best_arch: path of ``best_arch.json``.
        candidates: one record per retrained architecture (folder, checkpoint, validation metrics).
    """

    best_arch: str
    candidates: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class ReportResult(StageResult):
    """An analysis or comparison that ends in files for people (tables, plots), not in inputs of
    later stages.

    Args:
        files: what each file shows -> its path (default: none).
    """

    files: dict[str, str] = field(default_factory=dict)


def _encode(value: Any) -> Any:
    if isinstance(value, Candidate):
        return value.to_json()
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value

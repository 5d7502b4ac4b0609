"""An evaluator that answers from a published table, counting the distinct architectures it was asked.

On a tabular benchmark a search's cost is the number of architectures it had to look at, so the
evaluator counts those (a repeated query is free, as a real search would cache its result).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

from nasforge.core.arch import Arch
from nasforge.core.tabular.table import ArchNotInTableError, BenchmarkTable

__all__ = ["TableEvaluator"]


class _ReadOnlyList(Sequence[Any]):
    """A live, read-only view of a list."""

    __slots__ = ("_items",)

    def __init__(self, items: list[Any]) -> None:
        self._items = items

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"


class TableEvaluator:
    """Answer the table's metrics for architectures, as a batch evaluator or one arch at a time.

    An arch is looked up by its genes, so an arch of a sub-space of the table's space (same genes,
    another space name) is answered too; genes the table lacks are checked against the table's space
    first, so a malformed arch is reported as such rather than as missing.

    Args:
        table: the benchmark.
        metrics: the metrics to answer (default: ``None``, every metric of the table).
    """

    def __init__(self, table: BenchmarkTable, metrics: Sequence[str] | None = None) -> None:
        names = table.metric_names if metrics is None else tuple(metrics)
        unknown = [m for m in names if m not in table.metric_names]
        if unknown or not names:
            raise ValueError(
                f"TableEvaluator: metrics {list(names)} must be a non-empty selection of the table's "
                f"{list(table.metric_names)} (read from {table.source})"
            )
        self.table, self.metrics = table, names
        self._seen: set[Any] = set()
        self._order: list[Any] = []

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(table={self.table!r}, metrics={list(self.metrics)}, "
            f"queries={self.queries})"
        )

    def __call__(self, arch: Arch) -> dict[str, float]:
        return self.evaluate_batch([arch])[0]

    def evaluate_batch(self, archs: Sequence[Arch]) -> list[dict[str, float]]:
        """The metrics of each of ``archs``, in order. Nothing is counted unless every arch is answered."""
        answers = [self._lookup(arch) for arch in archs]
        for arch in archs:
            if arch.genes not in self._seen:
                self._seen.add(arch.genes)
                self._order.append(arch.genes)
        return answers

    @property
    def queries(self) -> int:
        """How many distinct architectures (by genes) have been answered since the start or :meth:`reset`."""
        return len(self._order)

    @property
    def queried(self) -> Sequence[Any]:
        """The genes answered so far, in the order first asked (a live, read-only view)."""
        return _ReadOnlyList(self._order)

    def reset(self) -> None:
        """Forget the architectures asked so far (a new search starts counting from zero)."""
        self._seen.clear()
        self._order.clear()

    def _lookup(self, arch: Arch) -> dict[str, float]:
        row = self.table.rows.get(arch.genes)
        if row is None:
            self.table.space.validate(Arch(self.table.space.name, self.table.space.version, arch.genes))
            raise ArchNotInTableError(
                f"{arch.genes!r} ({arch.space} arch {arch.hash}) is not in the table read from "
                f"{self.table.source}"
            )
        return {name: row[name] for name in self.metrics}

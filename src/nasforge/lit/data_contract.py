"""What every DataModule of the project tells the rest: how to size a model for it, where its data
came from, and an input of the right shapes (what FLOPs, latency and hardware pricing trace)."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from torch import Tensor

__all__ = ["DataModuleContract"]


@runtime_checkable
class DataModuleContract(Protocol):
    """The interface the pipeline and the cost models rely on, beside Lightning's own."""

    def model_kwargs(self) -> dict[str, Any]:
        """Keywords of the network that the data decides (vocabulary sizes, classes, channels).
        A DataModule may also offer ``task_kwargs()``: keywords of the task it decides (the OOD
        sets of each split), which the pipeline gives ``model.task`` the same way."""
        ...

    def source_info(self) -> dict[str, Any]:
        """Where the data came from: ``path``, ``generated`` and, for a generated sample, ``note``."""
        ...

    def example_inputs(self, batch_size: int = 1) -> tuple[Tensor, ...]:
        """Positional inputs of one forward pass of ``batch_size`` samples, with the data's shapes and
        dtypes (values do not matter: costs depend on shapes only)."""
        ...

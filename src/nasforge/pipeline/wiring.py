"""The stage protocol and the check, before anything runs, that every stage gets what it consumes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from nasforge.pipeline.context import RunContext
from nasforge.pipeline.results import StageResult

__all__ = ["PipelineWiringError", "Stage", "check_wiring"]


class PipelineWiringError(ValueError):
    """A pipeline whose stages cannot run in the order given: found before the first stage starts."""


@runtime_checkable
class Stage(Protocol):
    """One step of a pipeline.

    ``produces`` is the kind of record :meth:`run` returns; ``consumes`` maps the names of the earlier
    stages this stage reads to the kind of record it needs from each. A stage that keeps resumable
    state in files (a search history) may list them, relative to the run folder, in ``writes``: two
    stages of one pipeline may not write the same file. Under DDP a stage runs on rank 0 alone unless
    it sets ``runs_on_every_rank = True`` (it fits Lightning models; rank 0 still writes the files).
    """

    name: str

    @property
    def produces(self) -> type[StageResult]: ...

    @property
    def consumes(self) -> Mapping[str, type[StageResult]]: ...

    def run(self, context: RunContext) -> StageResult: ...


def check_wiring(stages: Sequence[Stage]) -> None:
    """Refuse a pipeline in which a stage consumes what no earlier stage produces.

    Raises:
        PipelineWiringError: naming the stage and the missing input, or two stages with one name or
            writing one file.
    """
    produced: dict[str, type[StageResult]] = {}
    writers: dict[str, str] = {}
    order = [stage.name for stage in stages]
    for stage in stages:
        if not isinstance(stage, Stage):
            raise PipelineWiringError(
                f"{type(stage).__name__} is not a pipeline stage: it needs name, produces, consumes and "
                "run(context)"
            )
        if stage.name in produced:
            raise PipelineWiringError(
                f"Two stages are named {stage.name!r} ({order}); give each its own name"
            )
        for source, kind in stage.consumes.items():
            if source not in produced:
                later = " (it runs later: move it earlier)" if source in order else ""
                raise PipelineWiringError(
                    f"Stage {stage.name!r} ({type(stage).__name__}) needs a {kind.__name__} from stage "
                    f"{source!r}, but no earlier stage is named {source!r}{later}; stages in order: {order}"
                )
            if not issubclass(produced[source], kind):
                raise PipelineWiringError(
                    f"Stage {stage.name!r} ({type(stage).__name__}) needs a {kind.__name__} from stage "
                    f"{source!r}, which produces a {produced[source].__name__}"
                )
        for path in getattr(stage, "writes", ()):
            if path in writers:
                raise PipelineWiringError(
                    f"Stages {writers[path]!r} and {stage.name!r} both write {path!r} in the run folder; "
                    "give one of them another `folder`"
                )
            writers[path] = stage.name
        produced[stage.name] = stage.produces

"""The two contracts of what scores an architecture in a search: on shared weights, or by training it.

Both are called as ``evaluator(arch) -> metrics`` (a flat ``{name: float}`` dict: the quality metric a
search optimises and, usually, ``flops`` and ``params``) and price an architecture without scoring it
with ``evaluator.cost(arch)``. They differ in what they need and what an evaluation costs, so the
stages that use them build them differently: a config names a partial (``_partial_: true``) that the
stage completes with the run's objects. Either may also be a
:class:`~nasforge.core.search.BatchEvaluator`, scoring a whole batch of proposals in one call.
"""

from __future__ import annotations

from typing import Protocol

from nasforge.core.arch import Arch

__all__ = ["ArchTrainer", "SupernetScorer"]


class SupernetScorer(Protocol):
    """Scores an architecture on the weights it inherits from a trained supernet (seconds per arch).

    Built by the ``search`` stage (:class:`~nasforge.stages.search.SearchStage`), which completes the
    config's partial with ``supernet=`` (the trained supernet, loaded from the supernet stage's
    weights) and ``datamodule=`` (the run's, set up). Called by :func:`~nasforge.core.search.run_search`
    once per proposed architecture, and through :meth:`cost` by the stage's cost limits, which skip an
    architecture over budget before it is scored. A score must be a deterministic function of the
    architecture, so a resumed search reproduces it.
    """

    def __call__(self, arch: Arch) -> dict[str, float]:
        """The metrics of ``arch`` on the supernet's shared weights, with its costs."""
        ...

    def cost(self, arch: Arch) -> dict[str, float]:
        """The costs of ``arch`` (e.g. ``flops``, ``params``), without scoring it."""
        ...


class ArchTrainer(Protocol):
    """Trains an architecture from scratch and measures it: the labels of a predictor (minutes per arch).

    Built by the ``ground_truth`` stage (:class:`~nasforge.stages.ground_truth.GroundTruthStage`) and the
    predictor search stage (:class:`~nasforge.stages.predictor_search.PredictorSearchStage`), which
    complete the config's partial with ``space=`` (the search space) and ``datamodule=`` (the run's,
    set up). The ground-truth stage calls it once per sampled architecture through
    :func:`~nasforge.core.search.run_search`; the predictor search stage calls only :meth:`cost`, for
    the exact costs of its top architectures. An evaluation must be a deterministic function of the
    architecture (seeded by its hash), so a resumed stage records the labels an uninterrupted one would.
    """

    def __call__(self, arch: Arch) -> dict[str, float]:
        """The metrics of ``arch`` after training it, with its costs."""
        ...

    def cost(self, arch: Arch) -> dict[str, float]:
        """The costs of ``arch`` (e.g. ``flops``, ``params``), without training it."""
        ...

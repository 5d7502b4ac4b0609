"""Domain-free machinery: architectures, search history and strategies, evaluator contracts, costs.

Sub-packages: ``search`` (strategies, the search loop, Pareto fronts, search plots), ``predictors``
(neural predictors and their plot), ``hardware`` (accelerator cost models that price any traced
workload), ``training`` (optimisers, schedules, quantisation). The plot modules (``search.plots``,
``predictors.plots``, ``hardware.plots``) are imported on their own, so that importing
``nasforge.core`` does not load matplotlib.
"""

from nasforge.core.arch import Arch, InvalidArchError, SearchSpace, check_arch, freeze, thaw
from nasforge.core.cost import CostReport, count_flops, count_params, measure_cost, measure_latency
from nasforge.core.evaluators import ArchTrainer, SupernetScorer
from nasforge.core.history import Entry, History
from nasforge.core.search import (
    MetropolisHastingsEvolution,
    NoFeasibleArchError,
    RandomSearch,
    RegularizedEvolution,
    SearchContext,
    SearchStrategy,
    cost_penalised_score,
    run_search,
)
from nasforge.core.search.pareto import pareto_front
from nasforge.core.workload import WorkEntry, Workload, trace_workload

__all__ = [
    "Arch",
    "ArchTrainer",
    "CostReport",
    "Entry",
    "History",
    "InvalidArchError",
    "MetropolisHastingsEvolution",
    "NoFeasibleArchError",
    "RandomSearch",
    "RegularizedEvolution",
    "SearchContext",
    "SearchSpace",
    "SearchStrategy",
    "SupernetScorer",
    "WorkEntry",
    "Workload",
    "check_arch",
    "cost_penalised_score",
    "count_flops",
    "count_params",
    "freeze",
    "measure_cost",
    "measure_latency",
    "pareto_front",
    "run_search",
    "thaw",
    "trace_workload",
]

"""Domain-free machinery: architectures, search history and strategies, costs, optimisation.

``nasforge.core.plots`` is imported on its own, so that importing ``nasforge.core`` does not load
matplotlib.
"""

from nasforge.core.arch import Arch, InvalidArchError, SearchSpace, check_arch, freeze, thaw
from nasforge.core.cost import CostReport, count_flops, count_params, measure_cost, measure_latency
from nasforge.core.history import Entry, History
from nasforge.core.pareto import pareto_front
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
from nasforge.core.workload import WorkEntry, Workload, trace_workload

__all__ = [
    "Arch",
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

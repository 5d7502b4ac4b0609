"""Search strategies and the resumable search loop."""

from nasforge.core.search.batch_evaluator import BatchEvaluator
from nasforge.core.search.mh_es import MetropolisHastingsEvolution, RoundRecord
from nasforge.core.search.objectives import PENALTIES, cost_penalised_score, log_cost_penalised_score
from nasforge.core.search.random_search import RandomSearch
from nasforge.core.search.regularized_evolution import RegularizedEvolution
from nasforge.core.search.run_search import NoFeasibleArchError, run_search, search_fingerprint
from nasforge.core.search.search_progress import SearchProgress
from nasforge.core.search.search_strategy import SearchContext, SearchStrategy

__all__ = [
    "PENALTIES",
    "BatchEvaluator",
    "MetropolisHastingsEvolution",
    "NoFeasibleArchError",
    "RandomSearch",
    "RegularizedEvolution",
    "RoundRecord",
    "SearchContext",
    "SearchProgress",
    "SearchStrategy",
    "cost_penalised_score",
    "log_cost_penalised_score",
    "run_search",
    "search_fingerprint",
]

"""Search strategies and the resumable search loop."""

from nasforge.core.search.random_search import RandomSearch
from nasforge.core.search.regularized_evolution import RegularizedEvolution
from nasforge.core.search.run_search import NoFeasibleArchError, run_search, search_fingerprint
from nasforge.core.search.search_progress import SearchProgress
from nasforge.core.search.search_strategy import SearchContext, SearchStrategy

__all__ = [
    "NoFeasibleArchError",
    "RandomSearch",
    "RegularizedEvolution",
    "SearchContext",
    "SearchProgress",
    "SearchStrategy",
    "run_search",
    "search_fingerprint",
]

"""Neural predictors of architecture quality and cost, for any search space.

``ArchPredictor`` is what a search calls: fitted on labelled architectures, it scores thousands of
candidates per second. It wraps an ``MLPPredictor`` (on ``space.encode(arch)``) or a ``GNNPredictor``
(on ``space.graph(arch)``, an ``ArchGraph``), trained by ``fit_predictor`` with MSE plus a pairwise
ranking loss and judged by ``kendall_tau``. ``kind="dense_sparse"`` (PIDS's ``DenseSparsePredictor``)
reads numerical genes as numbers and categorical ones as embeddings (``space.encode_dense_sparse``),
and ``fit(..., init_from=cost)`` starts from another predictor's weights (``warm_start``).
``PredictedScore`` turns a quality and a cost predictor into a search objective that scores whole
batches. Imported on its own (it loads torch_geometric).
"""

from nasforge.core.predictors.arch_graph import ArchGraph, GraphBatch, batch_graphs
from nasforge.core.predictors.arch_predictor import (
    KINDS,
    TARGET_TRANSFORMS,
    ArchPredictor,
    CostPredictor,
    PredictorFileError,
    predict_together,
)
from nasforge.core.predictors.dense_sparse_predictor import DenseSparsePredictor
from nasforge.core.predictors.featurize import (
    DenseSparse,
    dense_sparse_archs,
    encode_archs,
    graph_archs,
    graph_list,
    sparse_cardinalities,
)
from nasforge.core.predictors.fit_predictor import FitResult, fit_predictor
from nasforge.core.predictors.gnn_predictor import GNNPredictor, GraphInputs, graph_inputs
from nasforge.core.predictors.kendall_tau import kendall_tau
from nasforge.core.predictors.mlp_predictor import MLPPredictor
from nasforge.core.predictors.predicted_score import PredictedScore
from nasforge.core.predictors.ranking_loss import RANKING_KINDS, PredictorLoss, pairwise_ranking_loss
from nasforge.core.predictors.warm_start import warm_start

__all__ = [
    "KINDS",
    "RANKING_KINDS",
    "TARGET_TRANSFORMS",
    "ArchGraph",
    "ArchPredictor",
    "CostPredictor",
    "DenseSparse",
    "DenseSparsePredictor",
    "FitResult",
    "GNNPredictor",
    "GraphBatch",
    "GraphInputs",
    "MLPPredictor",
    "PredictedScore",
    "PredictorFileError",
    "PredictorLoss",
    "batch_graphs",
    "dense_sparse_archs",
    "encode_archs",
    "fit_predictor",
    "graph_archs",
    "graph_inputs",
    "graph_list",
    "kendall_tau",
    "pairwise_ranking_loss",
    "predict_together",
    "sparse_cardinalities",
    "warm_start",
]

"""A graph neural network predictor of one scalar per architecture from its DAG."""

from __future__ import annotations

import warnings
from typing import NamedTuple

import torch
from torch import Tensor, nn
from torch_geometric.nn import GINConv, global_add_pool, global_max_pool, global_mean_pool

from nasforge.core.predictors.mlp_predictor import _check_sizes

__all__ = ["GNNPredictor", "GraphInputs", "graph_inputs"]

_POOLS = {"mean": global_mean_pool, "sum": global_add_pool, "max": global_max_pool}


class GNNPredictor(nn.Module):
    r"""A GIN on the directed graph of an architecture (``space.graph(arch)``), pooled to one score.

    Each layer passes messages along the edges and, with separate weights, against them (`"How
    Powerful are Graph Neural Networks?" <https://arxiv.org/abs/1810.00826>`_, one
    :class:`~torch_geometric.nn.conv.GINConv` per direction), so a node learns both what feeds it and
    what it feeds; a residual connection keeps the first layers' features:

    .. math::
        \mathbf{h}_i^{(l+1)} = \mathbf{h}_i^{(l)} + \mathrm{ReLU}\Big(
        \mathbf{\Theta}_{\rightarrow} \big(\mathbf{h}_i + \textstyle\sum_{j \to i} \mathbf{h}_j\big)
        + \mathbf{\Theta}_{\leftarrow} \big(\mathbf{h}_i + \textstyle\sum_{i \to k} \mathbf{h}_k\big) \Big)

    The sums are sparse-dense products with the adjacency (CSR, built once per batch), cheaper than
    one message per edge. The pooled node features go through an MLP head.

    Args:
        in_channels: node features per node.
        hidden_channels: node embedding width; scoring time grows faster than the width, and 16 keeps
            CSCO scoring above 10,000 architectures/s on one core (default: ``16``).
        num_layers: message-passing layers, i.e. hops seen (default: ``3``).
        dropout: dropout after each layer and in the head (default: ``0.0``).
        pool: ``"mean"``, ``"sum"`` or ``"max"`` over the nodes of a graph (default: ``"mean"``).

    Shapes:
        - **input:** node features :math:`(|\mathcal{V}|, F_{in})`, edge indices
          :math:`(2, |\mathcal{E}|)`, batch vector :math:`(|\mathcal{V}|)`
        - **output:** one score per graph :math:`(B,)`
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int = 16,
        num_layers: int = 3,
        dropout: float = 0.0,
        pool: str = "mean",
    ) -> None:
        super().__init__()
        name = type(self).__name__
        _check_sizes(name, in_channels, hidden_channels, num_layers, dropout)
        if pool not in _POOLS:
            raise ValueError(f"{name}: unknown pool {pool!r}; choose one of {sorted(_POOLS)}")
        self.in_channels, self.hidden_channels, self.num_layers, self.pool = (
            in_channels,
            hidden_channels,
            num_layers,
            pool,
        )
        self.embed = nn.Linear(in_channels, hidden_channels)
        self.forward_convs = nn.ModuleList(
            GINConv(nn.Linear(hidden_channels, hidden_channels)) for _ in range(num_layers)
        )
        self.backward_convs = nn.ModuleList(
            GINConv(nn.Linear(hidden_channels, hidden_channels)) for _ in range(num_layers)
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Sequential(
            nn.Linear(hidden_channels, hidden_channels),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_channels, 1),
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.embed.reset_parameters()
        for conv in (*self.forward_convs, *self.backward_convs):
            conv.reset_parameters()
        for module in self.head:
            if isinstance(module, nn.Linear):
                module.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor, batch: Tensor, num_graphs: int | None = None) -> Tensor:
        """Scores of the ``num_graphs`` graphs of a :class:`~nasforge.core.predictors.GraphBatch`
        (``num_graphs`` defaults to ``batch.max() + 1``)."""
        return self.score(graph_inputs(x, edge_index, batch, num_graphs))

    def score(self, inputs: GraphInputs) -> Tensor:
        """Scores of the graphs of ``inputs``: :meth:`forward` on a batch whose adjacency is built
        already, so that several models can score one batch for the price of one featurisation."""
        x = inputs.x
        if x.dim() != 2 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"{type(self).__name__}: expected node features of shape [num_nodes, {self.in_channels}], "
                f"got {list(x.shape)}; was the predictor built for another search space?"
            )
        h = self.embed(x).relu()
        for forward_conv, backward_conv in zip(self.forward_convs, self.backward_convs, strict=True):
            messages = _gin(forward_conv, h, inputs.incoming) + _gin(backward_conv, h, inputs.outgoing)
            h = h + self.dropout(messages.relu())
        return self.head(_POOLS[self.pool](h, inputs.batch, inputs.num_graphs)).squeeze(-1)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.in_channels}, hidden_channels={self.hidden_channels}, "
            f"num_layers={self.num_layers}, pool={self.pool!r})"
        )


class GraphInputs(NamedTuple):
    r"""A :class:`~nasforge.core.predictors.GraphBatch` as the layers of :class:`GNNPredictor` read it:
    the adjacency in both directions as CSR matrices, built once per batch by :func:`graph_inputs`
    and shared by every GNN that scores the batch (:meth:`GNNPredictor.score`).

    Shapes:
        - **x:** :math:`(|\mathcal{V}|, F)`
        - **incoming**, **outgoing:** :math:`(|\mathcal{V}|, |\mathcal{V}|)`, sparse CSR; row ``i`` of
          ``incoming`` marks the sources of ``i``'s in-edges, row ``i`` of ``outgoing`` the targets of
          its out-edges
        - **batch:** :math:`(|\mathcal{V}|)`, the graph of each node
    """

    x: Tensor
    incoming: Tensor
    outgoing: Tensor
    batch: Tensor
    num_graphs: int


def graph_inputs(x: Tensor, edge_index: Tensor, batch: Tensor, num_graphs: int | None = None) -> GraphInputs:
    """The :class:`GraphInputs` of a graph batch (``num_graphs`` defaults to ``batch.max() + 1``)."""
    num_nodes = x.shape[0]
    if edge_index.numel() and (edge_index.min() < 0 or edge_index.max() >= num_nodes):
        raise ValueError(
            f"GNNPredictor: edge_index names nodes outside 0..{num_nodes - 1}; "
            "build batches with batch_graphs or the space's graph_batch"
        )
    if num_graphs is None:
        num_graphs = int(batch.max()) + 1 if batch.numel() else 0
    source, target = edge_index
    incoming, outgoing = _adjacency(target, source, num_nodes), _adjacency(source, target, num_nodes)
    return GraphInputs(x, incoming, outgoing, batch, num_graphs)


def _adjacency(rows: Tensor, cols: Tensor, num_nodes: int) -> Tensor:
    """The 0/1 matrix with a one at each ``(rows[k], cols[k])`` in CSR form, columns sorted within each
    row and a repeated edge counted once: the matrix ``torch_geometric.utils.to_torch_csr_tensor``
    builds, in a few tensor operations."""
    keys = torch.unique_consecutive(torch.sort(rows * num_nodes + cols).values)
    crow = torch._convert_indices_from_coo_to_csr(keys.div(num_nodes, rounding_mode="floor"), num_nodes)
    values = torch.ones(len(keys), device=keys.device)
    with warnings.catch_warnings():
        # CSR products are all the layers use of torch's beta API
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return torch.sparse_csr_tensor(
            crow, keys.remainder(num_nodes), values, (num_nodes, num_nodes), check_invariants=False
        )


def _gin(conv: GINConv, h: Tensor, adjacency: Tensor) -> Tensor:
    """``conv(h, adjacency)``, the same operations without the generic message-passing machinery,
    whose bookkeeping cost more than the layer's arithmetic on an architecture's small graph."""
    return conv.nn(torch.sparse.mm(adjacency, h) + (1 + conv.eps) * h)

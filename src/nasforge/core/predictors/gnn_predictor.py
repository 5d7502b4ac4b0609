"""A graph neural network predictor of one scalar per architecture from its DAG."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import GINConv, global_add_pool, global_max_pool

from nasforge.core.predictors.mlp_predictor import _check_sizes

__all__ = ["GNNPredictor", "GraphInputs", "graph_inputs"]


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

    The sums are sparse-dense products with the adjacency, cheaper than one message per edge; its CSR
    matrices are built once per batch (:func:`graph_inputs`), and models that score the same batch
    can share them (:meth:`score`). The pooled node features go through an MLP head.

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
        _check_sizes(name, num_layers, dropout, in_channels=in_channels, hidden_channels=hidden_channels)
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
        self.register_load_state_dict_post_hook(_fixed_epsilon)

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
        already, so that several models can score one batch for the price of one featurisation.

        The layers are applied through ``torch.nn.functional`` on their parameters, with their
        modules' arithmetic in their order: on an architecture's small graph, module calls and
        message-passing bookkeeping cost more than the arithmetic.
        """
        x = inputs.x
        if x.dim() != 2 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"{type(self).__name__}: expected node features of shape [num_nodes, {self.in_channels}], "
                f"got {list(x.shape)}; was the predictor built for another search space?"
            )
        # in place on fresh outputs that autograd does not keep: fewer allocations, the same numbers
        h = _linear(self.embed, x).relu_()
        for forward_conv, backward_conv in zip(self.forward_convs, self.backward_convs, strict=True):
            messages = _gin(forward_conv, h, inputs.incoming).add_(_gin(backward_conv, h, inputs.outgoing))
            h = h + _dropout(self.dropout, messages.relu_())
        first, _, dropout, last = self.head  # Linear, ReLU, Dropout, Linear
        hidden = _dropout(dropout, _linear(first, _POOLS[self.pool](h, inputs)).relu_())
        return _linear(last, hidden).squeeze(-1)

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
        - **node_counts:** :math:`(B, 1)`, the nodes of each graph (at least 1), mean pooling's divisor
    """

    x: Tensor
    incoming: Tensor
    outgoing: Tensor
    batch: Tensor
    num_graphs: int
    node_counts: Tensor


def graph_inputs(x: Tensor, edge_index: Tensor, batch: Tensor, num_graphs: int | None = None) -> GraphInputs:
    """The :class:`GraphInputs` of a graph batch (``num_graphs`` defaults to ``batch.max() + 1``).

    Built with NumPy on the CPU: a few dozen operations on arrays of a few thousand entries, where
    each torch call would cost more than its work.
    """
    num_nodes, edges, graph_of = x.shape[0], edge_index.cpu().numpy(), batch.cpu().numpy()
    if edges.size and (edges.min() < 0 or edges.max() >= num_nodes):
        raise ValueError(
            f"GNNPredictor: edge_index names nodes outside 0..{num_nodes - 1}; "
            "build batches with batch_graphs or the space's graph_batch"
        )
    if num_graphs is None:
        num_graphs = int(graph_of.max()) + 1 if graph_of.size else 0
    counts = np.bincount(graph_of, minlength=num_graphs).clip(min=1).astype(np.float32)[:, None]
    with warnings.catch_warnings():
        # CSR products are all the layers use of torch's beta API
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        incoming, outgoing = (
            _adjacency(edges[1], edges[0], num_nodes),
            _adjacency(edges[0], edges[1], num_nodes),
        )
    device = x.device
    return GraphInputs(
        x, incoming.to(device), outgoing.to(device), batch, num_graphs, torch.from_numpy(counts).to(device)
    )


def _adjacency(rows: np.ndarray, cols: np.ndarray, num_nodes: int) -> Tensor:
    """The 0/1 matrix with a one at each ``(rows[k], cols[k])`` in CSR form, columns sorted within each
    row and a repeated edge counted once: the matrix ``torch_geometric.utils.to_torch_csr_tensor``
    builds, so products with it add the same terms in the same order. Its indices are int32, which
    the CPU product would otherwise convert to on every call."""
    keys = np.multiply(rows, num_nodes, dtype=np.int64)
    keys += cols
    keys.sort(kind="stable")  # timsort: fast on the runs of sorted edges that batches hold
    if not (keys[1:] > keys[:-1]).all():
        keys = np.unique(keys)
    row, col = np.divmod(keys, num_nodes)
    crow = np.zeros(num_nodes + 1, dtype=np.int32)
    np.cumsum(np.bincount(row, minlength=num_nodes), out=crow[1:])
    return torch.sparse_csr_tensor(
        torch.from_numpy(crow),
        torch.from_numpy(col.astype(np.int32)),
        torch.ones(len(keys)),
        (num_nodes, num_nodes),
        check_invariants=False,
    )


def _gin(conv: GINConv, h: Tensor, adjacency: Tensor) -> Tensor:
    """``conv(h, adjacency)``, whose epsilon is a fixed 0: the MLP of ``h + adjacency @ h``, each
    node's own features added to its finished neighbour sum, as the convolution adds them."""
    return _linear(conv.nn, torch.sparse.addmm(h, adjacency, h))


def _linear(layer: nn.Linear, x: Tensor) -> Tensor:
    return F.linear(x, layer.weight, layer.bias)


def _dropout(layer: nn.Dropout, x: Tensor) -> Tensor:
    """``layer(x)``, without the call in eval mode, where dropout is the identity."""
    return layer(x) if layer.training else x


def _fixed_epsilon(module: GNNPredictor, incompatible_keys: object) -> None:
    """Refuse a state dict that sets a GIN epsilon: :func:`_gin` adds a node's features unscaled, as
    the convolutions built here (``train_eps=False``, ``eps=0``) do."""
    if any(float(conv.eps) != 0 for conv in (*module.forward_convs, *module.backward_convs)):
        raise RuntimeError(f"{type(module).__name__}: the state dict sets a GIN epsilon; it must be 0")


def _mean_pool(h: Tensor, inputs: GraphInputs) -> Tensor:
    """``global_mean_pool(h, inputs.batch, inputs.num_graphs)`` with the batch's node counts: the same
    sums, node after node, and division."""
    return h.new_zeros(inputs.num_graphs, h.shape[1]).index_add_(0, inputs.batch, h) / inputs.node_counts


_POOLS: dict[str, Callable[[Tensor, GraphInputs], Tensor]] = {
    "mean": _mean_pool,
    "sum": lambda h, inputs: global_add_pool(h, inputs.batch, inputs.num_graphs),
    "max": lambda h, inputs: global_max_pool(h, inputs.batch, inputs.num_graphs),
}

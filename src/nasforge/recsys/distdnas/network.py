"""DistDNAS networks: the plain child of one architecture and the gated supernet of the whole space.

Both run the same blocks (:class:`InteractionBlock`). A block sums its inputs (each source's dense and
sparse outputs), runs its modules on the sums (normalised) and adds their outputs to the sums per
stream; the
supernet multiplies every input and every module output by its gate, the child keeps only the chosen
ones with weight one. With gates of exactly one and zero the two compute the same thing, so a child
may start from the supernet's weights (:meth:`DistDNASSupernet.child_state_dict`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from nasforge.core.arch import Arch
from nasforge.core.cost import count_flops
from nasforge.recsys.distdnas.modules import DENSE_MODULES, SPARSE_MODULES, ModuleWidths, build_module
from nasforge.recsys.distdnas.space import DistDNASSpace
from nasforge.recsys.models.ctr_model import CTRModel
from nasforge.recsys.models.embedding import FeatureEmbedding
from nasforge.recsys.models.head import LogitHead
from nasforge.recsys.nasrec.network import load_arch

__all__ = [
    "NORMS",
    "DistDNASNet",
    "DistDNASSupernet",
    "FeatureBatchNorm",
    "InteractionBlock",
    "gates_from_logits",
]

#: the normalisations a block's modules and the head may read through
NORMS = ("batch", "layer")


class FeatureBatchNorm(nn.BatchNorm1d):
    """Batch norm over ``[B, width]`` that normalises a training batch of one example with the running
    statistics: a batch of one has no spread to measure (a data set's last batch may hold one row)."""

    def forward(self, x: Tensor) -> Tensor:
        if self.training and x.shape[0] == 1:
            return F.batch_norm(
                x, self.running_mean, self.running_var, self.weight, self.bias, training=False, eps=self.eps
            )
        return super().forward(x)


def _check_norm(kind: str) -> None:
    if kind not in NORMS:
        raise ValueError(f"DistDNAS: norm must be one of {list(NORMS)}, got {kind!r}")


def _norm(kind: str, width: int) -> nn.Module:
    _check_norm(kind)
    return FeatureBatchNorm(width) if kind == "batch" else nn.LayerNorm(width)


def gates_from_logits(module_logits: Tensor, input_logits: Tensor) -> tuple[Tensor, Tensor]:
    """Module gates ``[blocks, modules]`` and input gates ``[blocks, blocks]`` of the logits (zero
    above the diagonal, where no connection exists)."""
    mask = torch.ones_like(input_logits).tril()
    return torch.sigmoid(module_logits), torch.sigmoid(input_logits) * mask


class InteractionBlock(nn.Module):
    """One block: the sum of its inputs plus its modules' outputs on it, per stream.

    The input passes through as a residual, so a block that keeps no module of a stream
    hands that stream on unchanged: every derived architecture carries the raw features to the head,
    and a gate weighs what its module adds, not whether anything flows.

    Args:
        modules: names of the block's modules.
        inputs: the sources it reads (0 = raw features, ``s`` = block ``s``).
        widths: the widths of the streams.
        norm: the modules read the summed input normalised, both streams as one vector (the residual
            carries it as it is), which keeps a block of many gated modules stable (default: True).
        kind: ``"batch"`` (default) scales each feature by its spread over the batch; ``"layer"``
            divides each example by its own spread, which also erases how strongly that example's
            features interact and costs stacked cross layers (``benchmarks/RESULTS.md``).
    """

    def __init__(
        self,
        modules: Sequence[str],
        inputs: Sequence[int],
        widths: ModuleWidths,
        norm: bool = True,
        kind: str = "batch",
    ) -> None:
        super().__init__()
        self.inputs = tuple(inputs)
        self.widths = widths
        width = widths.dense + widths.fields * widths.embedding
        self.norm = _norm(kind, width) if norm else nn.Identity()
        self.candidates = nn.ModuleDict({name: build_module(name, widths) for name in modules})

    def forward(
        self,
        dense_sources: Sequence[Tensor],
        sparse_sources: Sequence[Tensor],
        input_gates: Tensor | None = None,
        module_gates: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        """The block's dense ``[B, d]`` and sparse ``[B, N, D]`` outputs; ``input_gates[j]`` scales
        source ``inputs[j]`` and ``module_gates[k]`` the ``k``-th module's output (none: all ones).
        Source 0 is the raw features, which the cross layers multiply with (DCN-v2's ``x0``)."""
        dense = _weighted_sum([dense_sources[s] for s in self.inputs], input_gates)
        sparse = _weighted_sum([sparse_sources[s] for s in self.inputs], input_gates)
        dense_out, sparse_out = [dense], [sparse]
        joint = self.norm(torch.cat([dense, sparse.flatten(1)], dim=1))
        dense, sparse = (
            joint[:, : self.widths.dense],
            joint[:, self.widths.dense :].unflatten(1, sparse.shape[1:]),
        )
        for k, (name, module) in enumerate(self.candidates.items()):
            out = module(dense, sparse, dense_sources[0], sparse_sources[0])
            for stream, value in zip((dense_out, sparse_out), _streams(name, out), strict=True):
                if value is not None:
                    stream.append(value if module_gates is None else module_gates[k] * value)
        return torch.stack(dense_out).sum(0), torch.stack(sparse_out).sum(0)


def _streams(name: str, out: Tensor | tuple[Tensor, Tensor]) -> tuple[Tensor | None, Tensor | None]:
    """``(dense, sparse)`` of module ``name``'s output; ``None`` for a stream it does not write."""
    if name in DENSE_MODULES:
        return out, None
    if name in SPARSE_MODULES:
        return None, out
    return out


def _weighted_sum(values: Sequence[Tensor], weights: Tensor | None) -> Tensor:
    if weights is None:
        return torch.stack(list(values)).sum(0)
    return sum((w * v for w, v in zip(weights, values, strict=True)), torch.zeros_like(values[0]))


class _DistDNASBase(CTRModel):
    """Embeddings, the raw-feature source, the blocks and the head that reads the last block."""

    def __init__(
        self,
        blocks: Sequence[tuple[Sequence[str], Sequence[int]]],
        num_dense: int,
        vocab_sizes: Sequence[int],
        embedding_dim: int,
        dense_width: int,
        low_rank: int,
        attention_heads: int,
        sparse_grad: bool,
        block_norm: bool,
        output_norm: bool,
        norm: str,
    ) -> None:
        super().__init__(num_dense, vocab_sizes, embedding_dim)
        _check_norm(norm)
        if dense_width <= num_dense:
            raise ValueError(
                f"DistDNAS: dense_width={dense_width} must exceed the {num_dense} dense features it carries"
            )
        self.widths = ModuleWidths(dense_width, self.num_sparse, embedding_dim, low_rank, attention_heads)
        self.embedding = FeatureEmbedding(self.vocab_sizes, embedding_dim, sparse=sparse_grad)
        # the raw dense source: the dense features as they are (DCN-v2's x0 keeps them) beside a linear
        # projection of them and every embedding, to the dense width
        self.stem = nn.Linear(num_dense + self.num_sparse * embedding_dim, dense_width - num_dense)
        self.blocks = nn.ModuleList(InteractionBlock(m, i, self.widths, block_norm, norm) for m, i in blocks)
        # the last block's outputs are sums of many terms: normalised, the first logits stay small. Layer
        # norm: the dense vector as one and each field on its own; batch norm: every feature on its own.
        width = dense_width + self.num_sparse * embedding_dim
        layer = output_norm and norm == "layer"
        self.dense_out_norm = nn.LayerNorm(dense_width) if layer else nn.Identity()
        self.sparse_out_norm = nn.LayerNorm(embedding_dim) if layer else nn.Identity()
        self.out_norm = FeatureBatchNorm(width) if output_norm and norm == "batch" else nn.Identity()
        self.head = LogitHead(width)

    def reset_parameters(self) -> None:
        self.embedding.reset_parameters()
        self.head.reset_parameters()

    def run_blocks(
        self, dense: Tensor | None, sparse: Tensor, gates: Sequence[tuple[Tensor, Tensor]] | None
    ) -> Tensor:
        dense, sparse = self.normalize_inputs(dense, sparse)
        fields = self.embedding(sparse)
        dense_sources = [torch.cat([dense, self.stem(torch.cat([dense, fields.flatten(1)], dim=1))], dim=1)]
        sparse_sources = [fields]
        for i, block in enumerate(self.blocks):
            input_gates, module_gates = gates[i] if gates is not None else (None, None)
            d, s = block(dense_sources, sparse_sources, input_gates, module_gates)
            dense_sources.append(d)
            sparse_sources.append(s)
        dense_out, sparse_out = (
            self.dense_out_norm(dense_sources[-1]),
            self.sparse_out_norm(sparse_sources[-1]),
        )
        return self.out_norm(torch.cat([dense_out, sparse_out.flatten(1)], dim=1))


class DistDNASNet(_DistDNASBase):
    """The plain network of one DistDNAS architecture (no gates), trained alone as a child.

    Args:
        arch: the architecture (an :class:`Arch`, its JSON file or its dict form).
        space: the space it was searched in (validated against it).
        num_dense: dense features (may be 0).
        vocab_sizes: rows of each categorical feature's table.
        embedding_dim: width of the embeddings and sparse fields (default: 16).
        dense_width: width of the dense stream (default: 256).
        low_rank: rank of ``cross_low_rank`` (default: 16).
        attention_heads: heads of ``attention`` (default: 2).
        sparse_grad: sparse embedding gradients (default: True).
        block_norm: the modules read each block's input normalised (default: True; see
            :class:`InteractionBlock`).
        output_norm: the head reads the last block's streams normalised (default: True), which keeps
            a supernet's first logits small: with layer norm the dense vector as one and each field
            on its own, with batch norm every feature on its own.
        norm: ``"batch"`` (default) or ``"layer"``, for both (see :class:`InteractionBlock`). Layer
            norms cost a child of stacked cross layers 0.006-0.019 AUC (``benchmarks/RESULTS.md``).
    """

    #: a block no later block reads gets no gradient
    leaves_parameters_unused = True

    def __init__(
        self,
        arch: Arch | str,
        space: DistDNASSpace,
        num_dense: int,
        vocab_sizes: Sequence[int],
        embedding_dim: int = 16,
        dense_width: int = 256,
        low_rank: int = 16,
        attention_heads: int = 2,
        sparse_grad: bool = True,
        block_norm: bool = True,
        output_norm: bool = True,
        norm: str = "batch",
    ) -> None:
        self.arch = load_arch(arch)
        blocks = space.blocks(self.arch)
        super().__init__(
            blocks,
            num_dense,
            vocab_sizes,
            embedding_dim,
            dense_width,
            low_rank,
            attention_heads,
            sparse_grad,
            block_norm,
            output_norm,
            norm,
        )

    def forward_features(self, dense: Tensor | None, sparse: Tensor) -> Tensor:
        return self.run_blocks(dense, sparse, None)


class DistDNASSupernet(_DistDNASBase):
    """Every module and connection of ``space`` at once, each scaled by a sigmoid gate.

    ``module_logits[i, k]`` gates module ``k`` of block ``i`` and ``input_logits[i, s]`` the
    connection from source ``s`` to block ``i`` (only ``s <= i`` exist). Sigmoid gates rather than a
    softmax per block: a block may keep several modules or one, and each module's gate feels its own
    cost, which is what the cost-aware loss needs (a softmax trades modules off only against each
    other). ``module_flops[i, k]`` is module ``k``'s serving FLOPs per example at the block's widths,
    measured once with torch's flop counter.

    Args:
        space: the DistDNAS space (its modules and number of blocks).
        init_logit: starting value of every gate logit (default: ``0.0``, gates at 0.5).
        others: as :class:`DistDNASNet`.
    """

    module_flops: Tensor
    #: sigmoid gates are never exactly zero, so every step reaches every parameter
    leaves_parameters_unused = False

    def __init__(
        self,
        space: DistDNASSpace,
        num_dense: int,
        vocab_sizes: Sequence[int],
        embedding_dim: int = 16,
        dense_width: int = 256,
        low_rank: int = 16,
        attention_heads: int = 2,
        sparse_grad: bool = True,
        block_norm: bool = True,
        output_norm: bool = True,
        norm: str = "batch",
        init_logit: float = 0.0,
    ) -> None:
        self.space = space
        blocks = [(space.modules, range(i + 1)) for i in range(space.num_blocks)]
        super().__init__(
            blocks,
            num_dense,
            vocab_sizes,
            embedding_dim,
            dense_width,
            low_rank,
            attention_heads,
            sparse_grad,
            block_norm,
            output_norm,
            norm,
        )
        n, m = space.num_blocks, len(space.modules)
        self.module_logits = nn.Parameter(torch.full((n, m), float(init_logit)))
        self.input_logits = nn.Parameter(torch.full((n, n), float(init_logit)))
        self.register_buffer("module_flops", self._measure_flops(), persistent=False)

    def _measure_flops(self) -> Tensor:
        w = self.widths
        dense, sparse = torch.zeros(1, w.dense), torch.zeros(1, w.fields, w.embedding)
        flops = [
            [float(count_flops(module, dense, sparse, dense, sparse)) for module in block.candidates.values()]
            for block in self.blocks
        ]
        return torch.tensor(flops)

    def arch_parameters(self) -> list[nn.Parameter]:
        """The gate logits (the architecture optimiser's parameters)."""
        return [self.module_logits, self.input_logits]

    def gates(self) -> tuple[Tensor, Tensor]:
        """The current gates (see :func:`gates_from_logits`)."""
        return gates_from_logits(self.module_logits, self.input_logits)

    def expected_cost(self) -> Tensor:
        """``sum_m g_m FLOPs_m / sum_m FLOPs_m``: the gated share of the modules' FLOPs, in ``[0, 1]``."""
        module_gates, _ = self.gates()
        return (module_gates * self.module_flops).sum() / self.module_flops.sum()

    def forward_features(self, dense: Tensor | None, sparse: Tensor) -> Tensor:
        module_gates, input_gates = self.gates()
        gates = [(input_gates[i, : i + 1], module_gates[i]) for i in range(self.space.num_blocks)]
        return self.run_blocks(dense, sparse, gates)

    def child_state_dict(self, arch: Arch) -> dict[str, Tensor]:
        """The weights a :class:`DistDNASNet` of ``arch`` inherits: everything but the gates and the
        modules ``arch`` drops."""
        blocks = self.space.blocks(arch)
        kept = {f"blocks.{i}.candidates.{name}." for i, (modules, _) in enumerate(blocks) for name in modules}
        state = {}
        for key, value in self.state_dict().items():
            if key in ("module_logits", "input_logits"):
                continue
            if ".candidates." in key and not any(key.startswith(prefix) for prefix in kept):
                continue
            state[key] = value
        return state

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, space={self.space.name!r}"

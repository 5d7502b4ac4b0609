"""Base class that fixes the interface shared by every CTR child model."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from nasforge.recsys.models._checks import check_int, check_vocab_sizes
from nasforge.recsys.models.head import LogitHead


class CTRModel(nn.Module):
    r"""Common surface of the CTR models: ``forward = forward_head(forward_features(...))``.

    Subclasses build their layers and a :class:`LogitHead` named ``head``, implement
    :meth:`forward_features` (starting with :meth:`normalize_inputs`) and :meth:`reset_parameters`, and call
    ``self.reset_parameters()`` at the end of ``__init__``. Generic tests and the training code rely only on
    this surface, so every family is covered the same way.

    Args:
        num_dense: number of dense (float) features; 0 for datasets without any (e.g. Avazu).
        vocab_sizes: rows of each categorical feature's table (index 0 = missing, 1 = rare/OOV).
        embedding_dim: width of the categorical embeddings (default: 16).

    Shapes:
        - input: ``dense [B, num_dense]`` float (``None`` allowed when ``num_dense == 0``),
          ``sparse [B, num_sparse]`` int32 or int64
        - features: ``[B, num_features]``
        - output: ``[B]`` raw logits (no sigmoid)
    """

    head: LogitHead

    def __init__(self, num_dense: int, vocab_sizes: Sequence[int], embedding_dim: int = 16) -> None:
        super().__init__()
        name = type(self).__name__
        self.num_dense = check_int(name, "num_dense", num_dense, 0, "use 0 for data without dense features")
        self.vocab_sizes = check_vocab_sizes(name, vocab_sizes)
        self.embedding_dim = check_int(name, "embedding_dim", embedding_dim, 1)

    @property
    def num_sparse(self) -> int:
        return len(self.vocab_sizes)

    @property
    def num_features(self) -> int:
        """Width ``H`` of :meth:`forward_features`' output."""
        return self.head.in_features

    def normalize_inputs(self, dense: Tensor | None, sparse: Tensor) -> tuple[Tensor, Tensor]:
        """Check shapes and dtypes; return ``dense`` as a float tensor (empty ``[B, 0]`` if it was None)."""
        name = type(self).__name__
        if sparse.dim() != 2 or sparse.shape[1] != self.num_sparse:
            raise ValueError(
                f"{name}: expected sparse of shape [B, {self.num_sparse}] (one column per vocab_sizes "
                f"entry), got {list(sparse.shape)}; check vocab_sizes against the data's categorical columns."
            )
        if sparse.is_floating_point() or sparse.is_complex() or sparse.dtype == torch.bool:
            raise ValueError(
                f"{name}: expected integer sparse indices (int32 or int64), got {sparse.dtype}; "
                "categorical features must be encoded as table indices."
            )
        batch = sparse.shape[0]
        if dense is None:
            if self.num_dense:
                raise ValueError(
                    f"{name}: dense is None but num_dense={self.num_dense}; pass [B, num_dense]."
                )
            return sparse.new_zeros((batch, 0), dtype=torch.float32), sparse
        if dense.dim() != 2 or dense.shape[0] != batch or dense.shape[1] != self.num_dense:
            raise ValueError(
                f"{name}: expected dense of shape [{batch}, {self.num_dense}] (batch of sparse, num_dense), "
                f"got {list(dense.shape)}; check num_dense against the data's dense columns."
            )
        if not dense.is_floating_point():
            dense = dense.float()
        return dense, sparse

    def forward_features(self, dense: Tensor | None, sparse: Tensor) -> Tensor:
        """Representation before the final head, ``[B, num_features]``."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward_features")

    def forward_head(self, features: Tensor) -> Tensor:
        """Map features ``[B, num_features]`` to logits ``[B]``."""
        return self.head(features)

    def forward(self, dense: Tensor | None, sparse: Tensor) -> Tensor:
        return self.forward_head(self.forward_features(dense, sparse))

    def reset_parameters(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement reset_parameters")

    def extra_repr(self) -> str:
        return f"num_dense={self.num_dense}, num_sparse={self.num_sparse}, embedding_dim={self.embedding_dim}"

    def __repr__(self) -> str:
        # One line with the config; print(model.<child>) or named_modules() shows the layers.
        return f"{type(self).__name__}({self.extra_repr()})"

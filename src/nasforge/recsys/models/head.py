"""Final read-out from a model's feature vector to one logit."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from nasforge.recsys.models._checks import check_int


class LogitHead(nn.Module):
    r"""Linear read-out to one logit, with optional pass-through columns that are summed unweighted.

    .. math::
        \text{logit} = \sum_{k < P} h_k + \sum_{k \ge P} w_k h_k + b

    Logistic regression, DeepFM and xDeepFM end in a plain sum of terms that are already logits
    (first-order weights, the FM term) next to a learned read-out of a deep branch. Putting those terms in
    the first ``P`` columns of the feature vector lets every model split into ``forward_features`` and
    ``forward_head`` without adding weights the papers do not have. With ``P = 0`` this is
    ``nn.Linear(in_features, 1)`` squeezed to ``[B]``.

    Args:
        in_features: width ``H`` of the feature vector.
        num_passthrough: leading columns added with weight one (default: 0).
        bias: learn a bias ``b`` (default: True).

    Shapes:
        - input: ``[B, in_features]``
        - output: ``[B]``
    """

    def __init__(self, in_features: int, num_passthrough: int = 0, bias: bool = True) -> None:
        super().__init__()
        name = type(self).__name__
        self.in_features = check_int(name, "in_features", in_features, 1)
        self.num_passthrough = check_int(
            name, "num_passthrough", num_passthrough, 0, f"at most in_features={in_features}"
        )
        if self.num_passthrough > self.in_features:
            raise ValueError(
                f"{name}: num_passthrough={num_passthrough} exceeds in_features={in_features}; "
                "pass-through columns are part of the feature vector."
            )
        self.weight = nn.Parameter(torch.empty(self.in_features - self.num_passthrough))
        self.bias = nn.Parameter(torch.empty(())) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.weight.numel():  # nn.init warns on zero-element tensors
            bound = 1.0 / math.sqrt(self.weight.numel())  # nn.Linear's default bound
            nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, features: Tensor) -> Tensor:
        if features.shape[-1] != self.in_features:
            raise ValueError(
                f"{type(self).__name__}: expected features of width {self.in_features}, "
                f"got shape {list(features.shape)}."
            )
        p = self.num_passthrough
        out = features[..., p:] @ self.weight
        if p:
            out = out + features[..., :p].sum(dim=-1)
        if self.bias is not None:
            out = out + self.bias
        return out

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, num_passthrough={self.num_passthrough}, "
            f"bias={self.bias is not None}"
        )

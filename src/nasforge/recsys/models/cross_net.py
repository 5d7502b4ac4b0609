"""Cross network of DCN-V2."""

from __future__ import annotations

from torch import Tensor, nn

from nasforge.recsys.models._checks import check_int


class CrossNetV2(nn.Module):
    r"""Stack of DCN-V2 cross layers (Wang et al., "DCN V2", WWW 2021, arXiv:2008.13535, eqs. 1-2).

    .. math::
        x_{l+1} = x_0 \odot (W_l x_l + b_l) + x_l

    Each layer adds one degree of explicit feature crossing while the residual keeps lower degrees. With
    ``rank=r`` the weight is factorised as :math:`W_l = U_l V_l^\top` (:math:`U_l, V_l \in R^{d \times r}`),
    the paper's low-rank variant, which costs :math:`2dr` instead of :math:`d^2` per layer.

    Args:
        in_dim: width ``d`` of :math:`x_0`.
        num_layers: number of cross layers (default: 3).
        rank: ``None`` for full-rank ``W``, else the rank ``r`` of the factorisation (default: None).

    Shapes:
        - input: ``[B, in_dim]``
        - output: ``[B, in_dim]``
    """

    def __init__(self, in_dim: int, num_layers: int = 3, rank: int | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        self.in_dim = check_int(name, "in_dim", in_dim, 1)
        self.num_layers = check_int(name, "num_layers", num_layers, 1)
        self.rank = None if rank is None else check_int(name, "rank", rank, 1, "or None for full rank")
        self.layers = nn.ModuleList(self._make_layer() for _ in range(self.num_layers))
        self.reset_parameters()

    def _make_layer(self) -> nn.Module:
        if self.rank is None:
            return nn.Linear(self.in_dim, self.in_dim)
        # x -> U (V^T x) + b; the bias sits on the up-projection.
        return nn.Sequential(nn.Linear(self.in_dim, self.rank, bias=False), nn.Linear(self.rank, self.in_dim))

    def reset_parameters(self) -> None:
        for module in self.layers.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_normal_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def forward(self, x0: Tensor) -> Tensor:
        x = x0
        for layer in self.layers:
            x = x0 * layer(x) + x
        return x

    def extra_repr(self) -> str:
        return f"in_dim={self.in_dim}, num_layers={self.num_layers}, rank={self.rank}"

"""Multi-layer perceptron shared by every CTR model, plus the activation and norm factories it uses."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from torch import nn

from nasforge.recsys.models._checks import check_dropout, check_int, check_sizes

ActivationLike = str | Callable[[], nn.Module] | None

_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "leaky_relu": nn.LeakyReLU,
    "prelu": nn.PReLU,
    "identity": nn.Identity,
}

_NORMS: dict[str, Callable[[int], nn.Module]] = {
    "batch": nn.BatchNorm1d,
    "layer": nn.LayerNorm,
}


def get_activation(activation: ActivationLike) -> Callable[[], nn.Module]:
    """Resolve an activation given by name (``"relu"``), class or factory; ``None`` means identity."""
    if activation is None:
        return nn.Identity
    if isinstance(activation, str):
        try:
            return _ACTIVATIONS[activation.lower()]
        except KeyError:
            raise ValueError(
                f"get_activation: unknown activation {activation!r}; choose one of {sorted(_ACTIVATIONS)} "
                "or pass an nn.Module class."
            ) from None
    if callable(activation):
        return activation
    raise ValueError(f"get_activation: expected a name, an nn.Module class or None, got {activation!r}.")


def get_norm(norm: str | None) -> Callable[[int], nn.Module] | None:
    """Resolve a norm layer by name (``"batch"``, ``"layer"``) or ``None``."""
    if norm is None:
        return None
    if isinstance(norm, str) and norm.lower() in _NORMS:
        return _NORMS[norm.lower()]
    raise ValueError(f"get_norm: unknown norm {norm!r}; choose one of {sorted(_NORMS)} or None.")


class MLP(nn.Sequential):
    r"""Stack of ``Linear -> [norm] -> activation -> [dropout]`` blocks, with an optional plain output layer.

    Every hidden layer is activated; ``out_dim`` (if given) adds a final ``Linear`` with no activation, which
    is the usual logit or projection layer. With ``hidden=()`` and ``out_dim=None`` the module is the
    identity. Linear weights use Glorot-normal init and zero bias, as in the DLRM reference.

    Args:
        in_dim: input width.
        hidden: widths of the activated layers, e.g. ``(512, 256)``.
        out_dim: width of a final un-activated ``Linear``, or ``None`` for none (default: None).
        activation: name (``"relu"``, ``"gelu"``, ...), ``nn.Module`` class or ``None`` (default: ``"relu"``).
        dropout: dropout probability after each activation (default: 0.0).
        norm: ``"batch"``, ``"layer"`` or ``None``, applied before each activation (default: None).

    Shapes:
        - input: ``[*, in_dim]``
        - output: ``[*, out_features]`` where ``out_features`` is ``out_dim``, else ``hidden[-1]``,
          else ``in_dim``
    """

    def __init__(
        self,
        in_dim: int,
        hidden: Sequence[int],
        out_dim: int | None = None,
        activation: ActivationLike = "relu",
        dropout: float = 0.0,
        norm: str | None = None,
    ) -> None:
        name = type(self).__name__
        in_dim = check_int(name, "in_dim", in_dim, 1)
        hidden = check_sizes(name, "hidden", hidden)
        dropout = check_dropout(name, dropout)
        act_layer, norm_layer = get_activation(activation), get_norm(norm)
        layers: list[nn.Module] = []
        width = in_dim
        for h in hidden:
            layers.append(nn.Linear(width, h))
            if norm_layer is not None:
                layers.append(norm_layer(h))
            layers.append(act_layer())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = h
        if out_dim is not None:
            width_out = check_int(name, "out_dim", out_dim, 1)
            layers.append(nn.Linear(width, width_out))
            width = width_out
        super().__init__(*layers)
        self.in_features = in_dim
        self.hidden = hidden
        self.out_features = width
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in self:
            if isinstance(module, nn.Linear):
                nn.init.xavier_normal_(module.weight)
                nn.init.zeros_(module.bias)
            elif hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, hidden={self.hidden}, out_features={self.out_features}"

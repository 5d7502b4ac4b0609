"""An MLP predictor of one scalar per architecture from its flat encoding."""

from __future__ import annotations

from torch import Tensor, nn

__all__ = ["MLPPredictor"]


class MLPPredictor(nn.Module):
    r"""A multi-layer perceptron on the flat encoding of an architecture (``space.encode(arch)``),
    the plain baseline of neural predictors (e.g. `"Neural Predictor for Neural Architecture Search"
    <https://arxiv.org/abs/1912.00848>`_): cheap, and strong when the encoding already spells out the
    wiring as an adjacency mask.

    .. math::
        \hat{y} = W_L \, \sigma(\dots \sigma(W_1 \mathbf{x} + b_1) \dots) + b_L

    Args:
        in_channels: length of the encoding.
        hidden_channels: width of each hidden layer (default: ``128``).
        num_layers: number of hidden layers (default: ``2``).
        dropout: dropout after each hidden layer (default: ``0.0``).

    Shapes:
        - **input:** encodings :math:`(B, F_{in})`
        - **output:** one score per architecture :math:`(B,)`
    """

    def __init__(
        self, in_channels: int, hidden_channels: int = 128, num_layers: int = 2, dropout: float = 0.0
    ) -> None:
        super().__init__()
        _check_sizes(
            type(self).__name__, num_layers, dropout, in_channels=in_channels, hidden_channels=hidden_channels
        )
        self.in_channels, self.hidden_channels, self.num_layers = in_channels, hidden_channels, num_layers
        layers, width = _hidden_layers(in_channels, hidden_channels, num_layers, dropout)
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Linear):
                module.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 2 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"{type(self).__name__}: expected encodings of shape [batch, {self.in_channels}], "
                f"got {list(x.shape)}; was the predictor built for another search space?"
            )
        return self.head(self.body(x)).squeeze(-1)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.in_channels}, hidden_channels={self.hidden_channels}, "
            f"num_layers={self.num_layers})"
        )


def _hidden_layers(
    in_channels: int, hidden_channels: int, num_layers: int, dropout: float
) -> tuple[list[nn.Module], int]:
    """``num_layers`` blocks of Linear, ReLU and Dropout, and the width they end in."""
    layers: list[nn.Module] = []
    width = in_channels
    for _ in range(num_layers):
        layers += [nn.Linear(width, hidden_channels), nn.ReLU(), nn.Dropout(dropout)]
        width = hidden_channels
    return layers, width


def _check_sizes(name: str, num_layers: int, dropout: float, **sizes: int) -> None:
    """Shared constructor checks of the predictors: positive ``sizes`` (named as the constructor's
    arguments), a non-negative ``num_layers``, a dropout in ``[0, 1)``."""
    for key, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}: {key} must be a positive integer, got {value!r}")
    if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 0:
        raise ValueError(f"{name}: num_layers must be a non-negative integer, got {num_layers!r}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"{name}: dropout must be in [0, 1), got {dropout!r}")

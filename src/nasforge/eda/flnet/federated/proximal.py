"""FedProx's proximal term, added to any task's loss on a client."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

__all__ = ["ProximalTask", "proximal_term"]


def proximal_term(net: nn.Module, anchor: dict[str, torch.Tensor]) -> torch.Tensor:
    r""":math:`\frac{1}{2}\sum_k \lVert w_k - w_k^{t} \rVert^2` over the parameters named in ``anchor``."""
    params = dict(net.named_parameters())
    total = next(iter(params.values())).new_zeros(())
    for name, reference in anchor.items():
        total = total + (params[name] - reference.to(params[name].device)).pow(2).sum()
    return 0.5 * total


class ProximalTask:
    r"""A task whose loss adds FedProx's :math:`\frac{\mu}{2}\lVert w - w^t \rVert^2` (`Li et al., 2020
    <https://arxiv.org/abs/1812.06127>`_), keeping a client near the global weights :math:`w^t`.

    Everything but ``loss`` is the wrapped task's, so metrics and the batch layout do not change.

    Args:
        task: the task to wrap (e.g. :class:`nasforge.tasks.RoutabilityTask`).
        net: the client's network being trained.
        mu: weight of the term; 0 gives the plain loss (default: 0.01).
        names: the parameters to anchor, normally the shared ones (default: None = all parameters).
    """

    def __init__(self, task: Any, net: nn.Module, mu: float = 0.01, names: list[str] | None = None) -> None:
        if mu < 0:
            raise ValueError(f"ProximalTask: mu must be >= 0, got {mu}")
        self.task = task
        self.net = net
        self.mu = mu
        params = dict(net.named_parameters())
        self.anchor = {
            n: params[n].detach().clone() for n in (names if names is not None else params) if n in params
        }

    def __getattr__(self, name: str) -> Any:
        if name == "task":  # not set yet (copy, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.task, name)

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.task.loss(output, target) + self.mu * proximal_term(self.net, self.anchor)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.task!r}, mu={self.mu})"

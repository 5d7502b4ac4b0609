"""Compressed Interaction Network of xDeepFM."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from nasforge.recsys.models._checks import check_int, check_sizes
from nasforge.recsys.models.mlp import ActivationLike, get_activation


class CIN(nn.Module):
    r"""Compressed Interaction Network (Lian et al., "xDeepFM", KDD 2018, arXiv:1803.05170, sec. 3.2).

    Layer ``k`` builds feature maps from outer products of the previous maps with the input fields, kept
    vector-wise (per embedding dimension ``d``):

    .. math::
        X^k_{h,*} = \sum_{i=1}^{H_{k-1}} \sum_{j=1}^{m} W^{k,h}_{ij} \, (X^{k-1}_{i,*} \circ X^0_{j,*})

    The double sum is a ``1x1`` convolution over the ``H_{k-1} m`` product channels. Each layer's maps
    are sum-pooled over ``d`` and concatenated into the output. With ``split_half`` (as in the paper's
    code) every layer but the last sends half its maps to the output and half to the next layer, so hidden
    layer sizes must be even. The paper's code uses no activation on the maps (identity), the default here.

    Args:
        num_fields: number of input fields ``m``.
        layer_sizes: feature maps ``H_k`` per layer (default: ``(128, 128)``).
        split_half: split each non-final layer between output and next layer (default: True).
        activation: applied to each layer's maps; name, class or ``None`` for identity (default: None).

    Shapes:
        - input: ``[B, m, D]``
        - output: ``[B, out_features]``, ``out_features = sum of the maps sent to the output``
    """

    def __init__(
        self,
        num_fields: int,
        layer_sizes: Sequence[int] = (128, 128),
        split_half: bool = True,
        activation: ActivationLike = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.num_fields = check_int(name, "num_fields", num_fields, 1)
        self.layer_sizes = check_sizes(name, "layer_sizes", layer_sizes)
        if not self.layer_sizes:
            raise ValueError(f"{name}: layer_sizes must name at least one layer, got {layer_sizes!r}.")
        self.split_half = bool(split_half)
        self.act = get_activation(activation)()
        self.convs = nn.ModuleList()
        self.next_sizes: list[int] = []  # maps passed on to the next layer
        out, prev = 0, self.num_fields
        for k, h in enumerate(self.layer_sizes):
            last = k == len(self.layer_sizes) - 1
            if self.split_half and not last and h % 2:
                raise ValueError(
                    f"{name}: with split_half=True every layer but the last needs an even size, got "
                    f"layer_sizes={self.layer_sizes}; make layer {k} even or pass split_half=False."
                )
            self.convs.append(nn.Conv1d(prev * self.num_fields, h, kernel_size=1))
            prev = h // 2 if self.split_half and not last else h
            self.next_sizes.append(prev)
            out += h - prev if self.split_half and not last else h
        self.out_features = out
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for conv in self.convs:
            nn.init.xavier_normal_(conv.weight)
            nn.init.zeros_(conv.bias)
        if hasattr(self.act, "reset_parameters"):
            self.act.reset_parameters()

    def forward(self, x0: Tensor) -> Tensor:
        b, _, d = x0.shape
        x, pooled = x0, []
        for k, conv in enumerate(self.convs):
            # [B, H, D] x [B, m, D] -> [B, H * m, D]: all products X^{k-1}_i o X^0_j at once.
            z = (x.unsqueeze(2) * x0.unsqueeze(1)).reshape(b, -1, d)
            z = self.act(conv(z))
            keep = self.next_sizes[k]
            if self.split_half and k < len(self.convs) - 1:
                x, direct = z.split([keep, z.shape[1] - keep], dim=1)
            else:
                x = direct = z
            pooled.append(direct.sum(dim=-1))
        return torch.cat(pooled, dim=1)

    def extra_repr(self) -> str:
        return (
            f"num_fields={self.num_fields}, layer_sizes={self.layer_sizes}, "
            f"split_half={self.split_half}, out_features={self.out_features}"
        )

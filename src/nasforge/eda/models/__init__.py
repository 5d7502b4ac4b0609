"""Baseline routability networks (the RouteNet-style FCN) and the conv blocks they share with FLNet."""

from nasforge.eda.models.conv_block import ConvNormAct, make_norm
from nasforge.eda.models.routenet import RouteNetFCN

__all__ = ["ConvNormAct", "RouteNetFCN", "make_norm"]

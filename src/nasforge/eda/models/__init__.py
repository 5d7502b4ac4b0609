"""Routability networks: FLNet and the RouteNet-style FCN baseline."""

from nasforge.eda.models.conv_block import ConvNormAct, make_norm
from nasforge.eda.models.flnet import FLNet
from nasforge.eda.models.routenet import RouteNetFCN

__all__ = ["ConvNormAct", "FLNet", "RouteNetFCN", "make_norm"]

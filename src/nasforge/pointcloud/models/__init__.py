"""Point-cloud segmentation networks: the KPConv-style U-Net and the KPConv and PointNet++ baselines."""

from nasforge.pointcloud.models.kpconv_net import KPConvNet, KPResNetBlock, KPSimpleBlock
from nasforge.pointcloud.models.pointnet2 import PointNet2
from nasforge.pointcloud.models.pyramid import PointPyramid, build_pyramid
from nasforge.pointcloud.models.unet import PointUNet, Unary

__all__ = [
    "KPConvNet",
    "KPResNetBlock",
    "KPSimpleBlock",
    "PointNet2",
    "PointPyramid",
    "PointUNet",
    "Unary",
    "build_pyramid",
]

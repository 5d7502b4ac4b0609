"""Point-cloud operations: neighbour search, sampling, subsampling, kernel points and convolutions.

The searches and samplers take torch_cluster's signatures; they run PyG's compiled versions when
pyg-lib provides them and batched pure-torch versions otherwise.
"""

from nasforge.pointcloud.ops.fps import fps
from nasforge.pointcloud.ops.grid_subsample import grid_subsample
from nasforge.pointcloud.ops.kernel_point_conv import KernelPointConv
from nasforge.pointcloud.ops.kernel_points import kernel_points, optimize_kernel_points
from nasforge.pointcloud.ops.knn import knn
from nasforge.pointcloud.ops.kpconv import KPConv
from nasforge.pointcloud.ops.point_interaction import PointInteraction
from nasforge.pointcloud.ops.radius import radius

__all__ = [
    "KPConv",
    "KernelPointConv",
    "PointInteraction",
    "fps",
    "grid_subsample",
    "kernel_points",
    "knn",
    "optimize_kernel_points",
    "radius",
]

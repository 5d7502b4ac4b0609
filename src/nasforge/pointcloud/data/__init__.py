"""Point-cloud data: the S3DIS and SemanticKITTI readers for their public layouts, generators of
samples in those layouts, the preprocessed-scene cache, input regions and the DataModules."""

from nasforge.pointcloud.data.datamodule import PointCloudDataModule
from nasforge.pointcloud.data.errors import PointCloudDataError
from nasforge.pointcloud.data.regions import CoverRegions, RandomRegions, RegionData
from nasforge.pointcloud.data.s3dis_datamodule import S3DISDataModule
from nasforge.pointcloud.data.semantickitti_datamodule import SemanticKITTIDataModule

__all__ = [
    "CoverRegions",
    "PointCloudDataError",
    "PointCloudDataModule",
    "RandomRegions",
    "RegionData",
    "S3DISDataModule",
    "SemanticKITTIDataModule",
]

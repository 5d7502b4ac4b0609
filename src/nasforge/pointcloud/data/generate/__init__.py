"""Synthetic point-cloud data sets written in the public S3DIS and SemanticKITTI layouts.

The public sets cannot be downloaded everywhere, so tests and the quick start run the real readers on
files from here. From the shell:
``python -m nasforge.pointcloud.data.generate {s3dis,semantickitti} --out FOLDER``.
"""

from nasforge.pointcloud.data.generate.s3dis import write_s3dis
from nasforge.pointcloud.data.generate.semantickitti import write_semantickitti

__all__ = ["write_s3dis", "write_semantickitti"]

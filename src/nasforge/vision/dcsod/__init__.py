"""DCSOD (Dense Connectivity Search of Outlier Detector, Fu et al., https://arxiv.org/abs/2406.01975):
its hierarchical search space, cells and networks.

From the paper: the hierarchy, an operator choice per node of each cell and dense connectivity (a
node may read any set of earlier nodes), over CSCO-style stages (:mod:`nasforge.vision.csco`: its
macro networks, wiring encoding and isomorphic relabelling are reused as they are).

This project's choices, since the paper does not fix them: the operator list
(:data:`~nasforge.vision.dcsod.ops.OPS`: CSCO's depthwise and pointwise node operations, so that every
CSCO architecture is one of this space's; full, separable and dilated convolutions, max and average
pooling, identity), the identity's strided 1x1 conv at stride 2 (a parameter-free identity cannot
downsample), and 7 nodes per cell by default.
"""

from nasforge.vision.dcsod.distill import EvolvingTeacher, distillation_loss
from nasforge.vision.dcsod.evaluator import OODProxyTrainer
from nasforge.vision.dcsod.network import DCSODCell, DCSODNet
from nasforge.vision.dcsod.ops import DCSOD_OPS, OPS, DCSODNode, build_node
from nasforge.vision.dcsod.space import MUTATION_KINDS, DCSODSpace

__all__ = [
    "DCSOD_OPS",
    "MUTATION_KINDS",
    "OPS",
    "DCSODCell",
    "DCSODNet",
    "DCSODNode",
    "DCSODSpace",
    "EvolvingTeacher",
    "OODProxyTrainer",
    "build_node",
    "distillation_loss",
]

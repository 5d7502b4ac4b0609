"""CSCO (https://arxiv.org/abs/2404.17152): the connectivity search space, its cells and networks,
graph-isomorphism augmentation of its architectures, and their proxy training (the predictor's labels)."""

from nasforge.vision.csco.cell import DEPTHWISE_KERNELS, CSCOCell, CSCONode
from nasforge.vision.csco.evaluator import ProxyTrainer
from nasforge.vision.csco.macro import MACROS, Macro, StageSpec
from nasforge.vision.csco.network import CSCONet
from nasforge.vision.csco.space import MUTATION_KINDS, CSCOSpace
from nasforge.vision.csco.wiring import (
    NODE_OPS,
    edge_problems,
    leaves,
    node_op,
    predecessors,
    relabel_edges,
    swap_permutation,
    swap_problems,
)

__all__ = [
    "DEPTHWISE_KERNELS",
    "MACROS",
    "MUTATION_KINDS",
    "NODE_OPS",
    "CSCOCell",
    "CSCONet",
    "CSCONode",
    "CSCOSpace",
    "Macro",
    "ProxyTrainer",
    "StageSpec",
    "edge_problems",
    "leaves",
    "node_op",
    "predecessors",
    "relabel_edges",
    "swap_permutation",
    "swap_problems",
]

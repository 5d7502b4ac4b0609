"""Baseline CTR child models (plain ``nn.Module``\\ s) and the layers they share.

Every model takes ``(num_dense, vocab_sizes, embedding_dim=16, **model_keywords)`` and maps
``forward(dense [B, num_dense], sparse [B, num_sparse]) -> logits [B]``; see :class:`CTRModel`.
"""

from nasforge.recsys.models.autoint import AutoIntPlus
from nasforge.recsys.models.cin import CIN
from nasforge.recsys.models.cross_net import CrossNetV2
from nasforge.recsys.models.ctr_model import CTRModel
from nasforge.recsys.models.dcn_v2 import DCNv2
from nasforge.recsys.models.deepfm import DeepFM
from nasforge.recsys.models.dlrm import DLRM
from nasforge.recsys.models.dnn import DNN
from nasforge.recsys.models.embedding import DenseFieldEmbedding, FeatureEmbedding, FieldEmbedding
from nasforge.recsys.models.head import LogitHead
from nasforge.recsys.models.interacting_layer import InteractingLayer
from nasforge.recsys.models.interaction import dot_interaction, fm_interaction, pair_indices
from nasforge.recsys.models.logistic import LogisticRegression
from nasforge.recsys.models.mlp import MLP, get_activation, get_norm
from nasforge.recsys.models.xdeepfm import XDeepFM

#: Every baseline model class; generic tests parametrise over this tuple.
CTR_MODELS: tuple[type[CTRModel], ...] = (
    LogisticRegression,
    DNN,
    DLRM,
    DeepFM,
    XDeepFM,
    AutoIntPlus,
    DCNv2,
)

__all__ = [
    "CIN",
    "CTR_MODELS",
    "DLRM",
    "DNN",
    "MLP",
    "AutoIntPlus",
    "CTRModel",
    "CrossNetV2",
    "DCNv2",
    "DeepFM",
    "DenseFieldEmbedding",
    "FeatureEmbedding",
    "FieldEmbedding",
    "InteractingLayer",
    "LogisticRegression",
    "LogitHead",
    "XDeepFM",
    "dot_interaction",
    "fm_interaction",
    "get_activation",
    "get_norm",
    "pair_indices",
]

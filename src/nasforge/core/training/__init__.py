"""Training helpers any domain's networks use: optimisers for sparse embedding gradients, learning-rate
schedules, fake quantisation for quantisation-aware training, batch-norm recalibration and the stop on
a diverged loss."""

from nasforge.core.training.batch_norm import recalibrate_batch_norm
from nasforge.core.training.divergence import TrainingDivergedError, check_finite_loss
from nasforge.core.training.optim import (
    SPARSE_CAPABLE_OPTIMIZERS,
    DenseSparseOptimizer,
    build_optimizer,
    clip_grad_norm_mixed_,
    split_sparse_parameters,
)
from nasforge.core.training.quantization import fake_quantize, quantization_levels
from nasforge.core.training.schedules import warmup_cosine

__all__ = [
    "SPARSE_CAPABLE_OPTIMIZERS",
    "DenseSparseOptimizer",
    "TrainingDivergedError",
    "build_optimizer",
    "check_finite_loss",
    "clip_grad_norm_mixed_",
    "fake_quantize",
    "quantization_levels",
    "recalibrate_batch_norm",
    "split_sparse_parameters",
    "warmup_cosine",
]

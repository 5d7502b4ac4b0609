"""A plain, seeded training loop for the predictors, with a held-out split and its Kendall tau."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor, nn

from nasforge.core.predictors._threads import check_num_threads, intra_op_threads
from nasforge.core.predictors.arch_graph import ArchGraph, batch_graphs
from nasforge.core.predictors.kendall_tau import kendall_tau
from nasforge.core.predictors.ranking_loss import PredictorLoss

__all__ = ["FitResult", "fit_predictor"]

_EVAL_BATCH = 4096


@dataclass(frozen=True)
class FitResult:
    """What :func:`fit_predictor` measured.

    Args:
        train_losses: mean training loss of each epoch (standardised targets).
        val_losses: held-out loss after each epoch (empty without a held-out split).
        val_kendall_tau: Kendall tau of the kept model's held-out predictions (``None`` without a split).
        val_mse: their mean squared error, in the units of the targets given (``None`` without a split).
        best_epoch: the epoch whose weights were kept (the last one unless the best was restored).
        target_mean: mean of the training targets, subtracted before training.
        target_std: their standard deviation (``1`` for constant targets), divided by.
        train_indices: positions of the training samples in the inputs.
        val_indices: positions of the held-out samples.
    """

    train_losses: list[float]
    val_losses: list[float]
    val_kendall_tau: float | None
    val_mse: float | None
    best_epoch: int
    target_mean: float
    target_std: float
    train_indices: list[int] = field(repr=False)
    val_indices: list[int] = field(repr=False)

    def to_dict(self) -> dict[str, object]:
        """The summary figures as plain data (no per-epoch curves or indices), for logs and JSON."""
        return {
            "val_kendall_tau": self.val_kendall_tau,
            "val_mse": self.val_mse,
            "best_epoch": self.best_epoch,
            "epochs": len(self.train_losses),
            "num_train": len(self.train_indices),
            "num_val": len(self.val_indices),
        }


def fit_predictor(
    model: nn.Module,
    features: np.ndarray | tuple[np.ndarray, ...] | Sequence[ArchGraph],
    targets: Sequence[float] | np.ndarray,
    *,
    epochs: int = 200,
    batch_size: int = 64,
    lr: float = 1e-3,
    weight_decay: float = 1e-4,
    loss: nn.Module | None = None,
    val_fraction: float = 0.2,
    restore_best: bool = True,
    patience: int | None = None,
    seed: int = 0,
    num_threads: int | None = 1,
) -> FitResult:
    """Train ``model`` to predict standardised ``targets`` with Adam, for ``epochs`` epochs.

    A seeded share ``val_fraction`` of the samples is held out; after each epoch the held-out loss is
    measured, and the weights of the best epoch are kept (``restore_best``). With ``patience``, training
    stops once the held-out loss has not improved for that many epochs. Shuffling and dropout draw from
    ``seed`` (the global RNG is left as it was), so a run is reproducible. The model ends in eval mode
    and predicts ``(y - target_mean) / target_std``.

    Args:
        model: an :class:`MLPPredictor` (for a ``[n, F]`` array), a :class:`DenseSparsePredictor` (for
            a :class:`DenseSparse` pair) or a :class:`GNNPredictor` (for graphs).
        features: encodings ``[n, F]``; a tuple of arrays of ``n`` rows each, one per argument of the
            model (a :class:`DenseSparse`); or ``n`` :class:`ArchGraph`\\ s.
        targets: ``n`` finite values (already on the scale to learn, e.g. a log-cost).
        epochs: passes over the training samples (default: ``200``).
        batch_size: samples per step; the ranking loss compares pairs within a batch (default: ``64``).
        lr: Adam learning rate (default: ``1e-3``).
        weight_decay: Adam weight decay (default: ``1e-4``).
        loss: loss on standardised targets (default: :class:`PredictorLoss` with its defaults).
        val_fraction: share held out, ``0`` for none (default: ``0.2``).
        restore_best: keep the weights of the epoch with the lowest held-out loss (default: ``True``).
        patience: stop after this many epochs without improvement (default: ``None``, never).
        seed: seed of the split, the shuffling and dropout (default: ``0``).
        num_threads: torch intra-op threads while training, ``None`` for torch's setting; steps of a few
            dozen samples lose more to thread hand-offs than they gain (default: ``1``).
    """
    y = np.asarray(targets, dtype=np.float64).reshape(-1)
    num_samples, batches = _collate(features)
    _check(num_samples, y, epochs, batch_size, val_fraction, patience)
    check_num_threads(num_threads, "fit_predictor")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    num_val = 0 if val_fraction == 0 else max(2, round(val_fraction * len(y)))
    val_idx, train_idx = np.sort(order[:num_val]), order[num_val:]
    if len(train_idx) < 2:
        raise ValueError(
            f"fit_predictor: {len(y)} samples leave {len(train_idx)} for training after holding out "
            f"{num_val} (val_fraction={val_fraction}); give more samples or lower val_fraction"
        )
    mean, std = float(y[train_idx].mean()), float(y[train_idx].std())
    std = std if std > 0 else 1.0
    scaled = torch.from_numpy((y - mean) / std).float()
    criterion = loss if loss is not None else PredictorLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    train_losses: list[float] = []
    val_losses: list[float] = []
    best = (float("inf"), 0, None)
    with intra_op_threads(num_threads), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for epoch in range(epochs):
            model.train()
            total = 0.0
            shuffled = rng.permutation(train_idx)
            for start in range(0, len(shuffled), batch_size):
                idx = shuffled[start : start + batch_size]
                batch_loss = criterion(model(*batches(idx)), scaled[idx])
                optimizer.zero_grad(set_to_none=True)
                batch_loss.backward()
                optimizer.step()
                total += batch_loss.item() * len(idx)
            train_losses.append(total / len(shuffled))
            if num_val:
                val_losses.append(float(criterion(_predict(model, batches, val_idx), scaled[val_idx])))
                if val_losses[-1] < best[0]:
                    weights = copy.deepcopy(model.state_dict()) if restore_best else None
                    best = (val_losses[-1], epoch, weights)
                if patience is not None and epoch - best[1] >= patience:
                    break
    if restore_best and best[2] is not None:
        model.load_state_dict(best[2])
    model.eval()
    tau = mse = None
    if num_val:
        predicted = _predict(model, batches, val_idx).double().numpy() * std + mean
        tau, mse = kendall_tau(predicted, y[val_idx]), float(np.mean((predicted - y[val_idx]) ** 2))
    return FitResult(
        train_losses=train_losses,
        val_losses=val_losses,
        val_kendall_tau=tau,
        val_mse=mse,
        best_epoch=best[1] if restore_best and best[2] is not None else len(train_losses) - 1,
        target_mean=mean,
        target_std=std,
        train_indices=sorted(train_idx.tolist()),
        val_indices=val_idx.tolist(),
    )


Collate = Callable[[np.ndarray], tuple]


def _collate(features: np.ndarray | tuple[np.ndarray, ...] | Sequence[ArchGraph]) -> tuple[int, Collate]:
    """The number of samples and ``collate(indices)`` -> the model's arguments for those samples."""
    if _is_array(features):
        array = torch.as_tensor(np.asarray(features, dtype=np.float32))
        if array.dim() != 2:
            raise ValueError(f"fit_predictor: features must be [n, F] encodings, got {list(array.shape)}")
        return _rows(array)
    if isinstance(features, tuple) and features and all(map(_is_array, features)):
        return _rows(*map(torch.as_tensor, features))
    graphs = list(features)
    wrong = next((g for g in graphs if not isinstance(g, ArchGraph)), None)
    if wrong is not None:
        raise TypeError(
            f"fit_predictor: features must be an [n, F] array, a tuple of arrays or a list of ArchGraph, "
            f"got a {type(features).__name__} holding {type(wrong).__name__}"
        )
    return len(graphs), lambda idx: tuple(batch_graphs([graphs[i] for i in idx]))


def _is_array(value: object) -> bool:
    return isinstance(value, np.ndarray) or torch.is_tensor(value)


def _rows(*arrays: Tensor) -> tuple[int, Collate]:
    """The samples of ``arrays``, one per model argument, each holding one row per sample."""
    shapes = [list(a.shape) for a in arrays]
    if any(not shape for shape in shapes) or len({shape[0] for shape in shapes}) != 1:
        raise ValueError(
            f"fit_predictor: features hold arrays of shapes {shapes}; give each one row per sample"
        )
    return shapes[0][0], lambda idx: tuple(a[torch.from_numpy(idx)] for a in arrays)


def _predict(model: nn.Module, batches: Collate, indices: np.ndarray) -> Tensor:
    """Standardised predictions for ``indices``, in eval mode without gradients (mode restored)."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        chunks = [indices[s : s + _EVAL_BATCH] for s in range(0, len(indices), _EVAL_BATCH)]
        out = torch.cat([model(*batches(chunk)) for chunk in chunks])
    model.train(was_training)
    return out


def _check(
    num_samples: int, y: np.ndarray, epochs: int, batch_size: int, val_fraction: float, patience: int | None
) -> None:
    name = "fit_predictor"
    if num_samples != len(y):
        raise ValueError(f"{name}: got {num_samples} feature rows but {len(y)} targets; give one per row")
    if not np.isfinite(y).all():
        bad = y[~np.isfinite(y)][0]
        raise ValueError(f"{name}: targets hold {bad}; drop architectures without a finite label first")
    if epochs < 1 or batch_size < 2:
        raise ValueError(f"{name}: need epochs >= 1 and batch_size >= 2, got {epochs} and {batch_size}")
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"{name}: val_fraction must be in [0, 1), got {val_fraction}")
    if patience is not None and patience < 1:
        raise ValueError(f"{name}: patience must be None or >= 1, got {patience}")

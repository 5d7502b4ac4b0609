"""What a search calls: a predictor of a metric or cost, fitted on labelled architectures of a space."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from nasforge.core.arch import Arch, SearchSpace
from nasforge.core.predictors._threads import check_num_threads, intra_op_threads
from nasforge.core.predictors.dense_sparse_predictor import DenseSparsePredictor
from nasforge.core.predictors.featurize import (
    DenseSparse,
    dense_sparse_archs,
    encode_archs,
    graph_archs,
    graph_list,
    sparse_cardinalities,
)
from nasforge.core.predictors.fit_predictor import FitResult, fit_predictor
from nasforge.core.predictors.gnn_predictor import GNNPredictor, GraphInputs, graph_inputs
from nasforge.core.predictors.mlp_predictor import MLPPredictor
from nasforge.core.predictors.ranking_loss import PredictorLoss
from nasforge.core.predictors.warm_start import warm_start

__all__ = [
    "KINDS",
    "TARGET_TRANSFORMS",
    "ArchPredictor",
    "CostPredictor",
    "PredictorFileError",
    "predict_together",
]

#: Predictor models by kind: the MLP reads ``space.encode(arch)``, the GNN ``space.graph(arch)``, the
#: dense-sparse model ``space.encode_dense_sparse(arch)`` (see :func:`dense_sparse_archs`).
#: A registry by name, not ``_target_`` presets: a saved predictor file records its ``kind``, and
#: :meth:`ArchPredictor.load` rebuilds the model from that name.
KINDS: dict[str, type[nn.Module]] = {
    "mlp": MLPPredictor,
    "gnn": GNNPredictor,
    "dense_sparse": DenseSparsePredictor,
}
#: Target transforms: ``"log"`` learns ``log(y)`` (costs spanning orders of magnitude) and predicts ``y``.
TARGET_TRANSFORMS = (None, "log")
#: The training inputs of each kind (the GNN's as single graphs, which training batches anew).
_FEATURES = {"mlp": encode_archs, "gnn": graph_list, "dense_sparse": dense_sparse_archs}
_FORMAT = "nasforge-arch-predictor"
_FORMAT_VERSION = 1
_KEYS = {
    "space",
    "space_version",
    "kind",
    "target_transform",
    "in_channels",
    "settings",
    "target_mean",
    "target_std",
    "state_dict",
}


class PredictorFileError(ValueError):
    """A predictor file that cannot be read, or that belongs to another search space."""


class ArchPredictor:
    """A neural predictor of one metric of the architectures of ``space``: fit it on labelled
    architectures, then score candidates by the thousand.

    ``kind="mlp"`` reads ``space.encode(arch)``, ``kind="gnn"`` reads ``space.graph(arch)`` (an
    :class:`ArchGraph`), ``kind="dense_sparse"`` reads ``space.encode_dense_sparse(arch)`` (numerical
    and categorical genes apart, see :func:`dense_sparse_archs`); a space that also has
    ``encode_batch``/``graph_batch``/``encode_dense_sparse_batch`` is featurised a whole batch at a
    time. Targets are standardised for training (and ``log``-transformed first with
    ``target_transform="log"``); :meth:`predict` returns values on the targets' own scale. The model is
    built at :meth:`fit`, seeded, so two fits with the same settings give the same predictor.

    Args:
        space: the search space of the architectures.
        kind: ``"mlp"``, ``"gnn"`` or ``"dense_sparse"`` (default: ``"mlp"``).
        target_transform: ``None`` or ``"log"`` (default: ``None``).
        hidden_channels: model width (default: ``None``, the model's: 128 for the MLP and the
            dense-sparse model, 16 for the GNN).
        num_layers: hidden layers (of each MLP of the dense-sparse model) or message-passing layers
            (default: ``None``, the model's: 2 / 3 for the GNN).
        dropout: dropout in the model (default: ``0.0``).
        epochs: training epochs (default: ``200``).
        batch_size: training batch size (default: ``64``).
        lr: Adam learning rate (default: ``1e-3``).
        weight_decay: Adam weight decay (default: ``1e-4``).
        ranking_weight: weight of the pairwise ranking loss beside MSE (default: ``1.0``).
        ranking: ``"logistic"`` or ``"hinge"`` ranking loss (default: ``"logistic"``).
        val_fraction: share of the labels held out to keep the best epoch, ``0`` to train on all for
            ``epochs`` (default: ``0.1``).
        seed: seed of the initial weights, the split and the shuffling (default: ``0``).
        predict_batch_size: architectures featurised and scored per step of :meth:`predict`; 1024
            keeps a GNN batch in cache (default: ``1024``).
        num_threads: torch intra-op threads for :meth:`fit` and :meth:`predict`, ``None`` for torch's
            setting; more only pay off for large batches on a machine with idle cores (default: ``1``).
    """

    def __init__(
        self,
        space: SearchSpace,
        kind: str = "mlp",
        target_transform: str | None = None,
        hidden_channels: int | None = None,
        num_layers: int | None = None,
        dropout: float = 0.0,
        epochs: int = 200,
        batch_size: int = 64,
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        ranking_weight: float = 1.0,
        ranking: str = "logistic",
        val_fraction: float = 0.1,
        seed: int = 0,
        predict_batch_size: int = 1024,
        num_threads: int | None = 1,
    ) -> None:
        name = type(self).__name__
        if kind not in KINDS:
            raise ValueError(f"{name}: unknown kind {kind!r}; choose one of {sorted(KINDS)}")
        if target_transform not in TARGET_TRANSFORMS:
            raise ValueError(
                f"{name}: unknown target_transform {target_transform!r}; "
                f"choose one of {list(TARGET_TRANSFORMS)}"
            )
        if predict_batch_size < 1:
            raise ValueError(f"{name}: predict_batch_size must be >= 1, got {predict_batch_size}")
        check_num_threads(num_threads, name)
        self.space, self.kind, self.target_transform = space, kind, target_transform
        self.model_kwargs = {"dropout": float(dropout)}
        self.model_kwargs |= {"hidden_channels": hidden_channels} if hidden_channels is not None else {}
        self.model_kwargs |= {"num_layers": num_layers} if num_layers is not None else {}
        self.fit_kwargs = {
            "epochs": epochs,
            "batch_size": batch_size,
            "lr": lr,
            "weight_decay": weight_decay,
            "val_fraction": val_fraction,
            "seed": seed,
            "num_threads": num_threads,
        }
        self.loss_kwargs = {"ranking_weight": ranking_weight, "ranking": ranking}
        self.predict_batch_size, self.num_threads = predict_batch_size, num_threads
        self.model: nn.Module | None = None
        #: the model's positional arguments, sized for the space: ``[in_channels]``, or the numerical
        #: genes and the categorical genes' cardinalities for the dense-sparse model
        self.input_sizes: list[Any] | None = None
        self.target_mean, self.target_std = 0.0, 1.0
        self.result: FitResult | None = None

    def fit(
        self,
        archs: Sequence[Arch],
        targets: Sequence[float] | np.ndarray,
        init_from: ArchPredictor | None = None,
    ) -> FitResult:
        """Build a fresh model and train it on ``archs`` labelled ``targets`` (see :func:`fit_predictor`).

        With ``init_from``, a fitted predictor of the same kind, space and model settings (a
        :class:`CostPredictor` fitted on FLOPs, as PIDS does), training starts from a copy of its
        weights (:func:`warm_start`), input scaling included, instead of fresh ones; ``init_from`` is
        left as it is. A dense-sparse model starting fresh scales its numerical genes to ``archs``.

        Returns the :class:`FitResult` (also kept as :attr:`result`), whose held-out Kendall tau is on
        the ``val_fraction`` split.
        """
        name = type(self).__name__
        if init_from is not None and init_from.kind != self.kind:
            raise ValueError(
                f"{name}.fit: init_from is a {init_from.kind!r} predictor but this one is {self.kind!r}; "
                "warm-start from a predictor of the same kind"
            )
        source = init_from._fitted_model() if init_from is not None else None
        y = self._transform(targets, len(archs))
        features = self._features(archs)
        self.input_sizes = self._input_sizes(features)
        self.model = self._new_model(self.input_sizes)
        if source is not None:
            warm_start(self.model, source, f"{name}.fit(init_from=...)")
        elif isinstance(self.model, DenseSparsePredictor):
            self.model.fit_dense_scaling(torch.from_numpy(features.dense))
        loss = PredictorLoss(**self.loss_kwargs)
        self.result = fit_predictor(self.model, features, y, loss=loss, **self.fit_kwargs)
        self.target_mean, self.target_std = self.result.target_mean, self.result.target_std
        return self.result

    def predict(self, archs: Sequence[Arch]) -> np.ndarray:
        """Predicted values of ``archs`` (float64, on the targets' scale), ``predict_batch_size`` at a
        time in eval mode."""
        return predict_together([self], archs)[0]

    def featurize(self, archs: Sequence[Arch]) -> tuple[Tensor, ...]:
        """The model's inputs for ``archs``, built for the whole batch: ``(encodings,)`` for the MLP,
        ``(dense, sparse)`` for the dense-sparse model, a :class:`GraphBatch` for the GNN."""
        if self.kind == "mlp":
            return (torch.from_numpy(encode_archs(self.space, archs)),)
        if self.kind == "dense_sparse":
            return tuple(torch.from_numpy(array) for array in dense_sparse_archs(self.space, archs))
        return tuple(graph_archs(self.space, archs))

    def save(self, path: str | Path) -> Path:
        """Write weights, settings and target scaling to one file, atomically; :meth:`load` reads it."""
        model = self._fitted_model()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        torch.save({"format": _FORMAT, "version": _FORMAT_VERSION, **self._settings(model)}, tmp)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path, space: SearchSpace) -> ArchPredictor:
        """The predictor saved at ``path``, for ``space`` (which must be the space it was fitted on).

        Raises :class:`PredictorFileError` naming the file when it is unreadable, not a predictor file,
        or fitted on another space or version.
        """
        path = Path(path)
        try:
            data = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise
        except Exception as err:
            raise PredictorFileError(
                f"{cls.__name__}.load: {path} is not a readable predictor file ({type(err).__name__}: "
                f"{str(err).splitlines()[0] if str(err) else ''}); fit and save the predictor again"
            ) from None
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise PredictorFileError(f"{cls.__name__}.load: {path} is not a {_FORMAT} file")
        if data.get("version") != _FORMAT_VERSION or not set(data) >= _KEYS:
            raise PredictorFileError(
                f"{cls.__name__}.load: {path} has format version {data.get('version')!r} and keys "
                f"{sorted(data)}; this code reads version {_FORMAT_VERSION} with keys {sorted(_KEYS)}: "
                "fit and save the predictor again"
            )
        fitted_on = f"'{data['space']}' v{data['space_version']}"
        if (data["space"], data["space_version"]) != (space.name, space.version):
            raise PredictorFileError(
                f"{cls.__name__}.load: {path} was fitted on space {fitted_on}, not '{space.name}' "
                f"v{space.version}; load it with that space"
            )
        predictor = cls(space, data["kind"], data["target_transform"], **data["settings"])
        # a file without input_sizes holds an MLP or a GNN, whose one size is in_channels
        predictor.input_sizes = data.get("input_sizes", [data["in_channels"]])
        predictor.model = predictor._new_model(predictor.input_sizes)
        try:
            predictor.model.load_state_dict(data["state_dict"])
        except RuntimeError as err:
            raise PredictorFileError(
                f"{cls.__name__}.load: {path} holds weights that do not fit its settings: "
                f"{str(err).splitlines()[0]}"
            ) from None
        predictor.model.eval()
        predictor.target_mean, predictor.target_std = data["target_mean"], data["target_std"]
        return predictor

    def __repr__(self) -> str:
        state = "fitted" if self.model is not None else "not fitted"
        return (
            f"{type(self).__name__}(space={self.space.name!r}, kind={self.kind!r}, "
            f"target_transform={self.target_transform!r}, {state})"
        )

    def _settings(self, model: nn.Module) -> dict[str, Any]:
        return {
            "space": self.space.name,
            "space_version": self.space.version,
            "kind": self.kind,
            "target_transform": self.target_transform,
            "in_channels": self.input_sizes[0],
            "input_sizes": self.input_sizes,
            "settings": {
                **self.model_kwargs,
                **self.fit_kwargs,
                **self.loss_kwargs,
                "predict_batch_size": self.predict_batch_size,
            },
            "target_mean": self.target_mean,
            "target_std": self.target_std,
            "state_dict": model.state_dict(),
        }

    def _fitted_model(self) -> nn.Module:
        if self.model is None:
            raise RuntimeError(f"{type(self).__name__}: not fitted; call fit(archs, targets) or load(path)")
        return self.model

    def _new_model(self, input_sizes: list[Any]) -> nn.Module:
        """A model of this kind and settings with seeded fresh weights (the global RNG left alone)."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.fit_kwargs["seed"])
            return KINDS[self.kind](*input_sizes, **self.model_kwargs)

    def _input_sizes(self, features: np.ndarray | DenseSparse | list) -> list[Any]:
        """The model's positional arguments for ``features`` (from :meth:`_features`)."""
        if self.kind == "mlp":
            return [features.shape[1]]
        if self.kind == "dense_sparse":
            return [features.dense.shape[1], sparse_cardinalities(self.space)]
        return [features[0].num_features]

    def _inputs(self, archs: Sequence[Arch]) -> tuple[Tensor, ...] | GraphInputs:
        """The model's inputs for ``archs``, ready to score: what :func:`predict_together` shares."""
        if self.kind == "gnn":
            return graph_inputs(*graph_archs(self.space, archs))
        return self.featurize(archs)

    def _standardised(self, inputs: tuple[Tensor, ...] | GraphInputs) -> np.ndarray:
        """The fitted model's float32 outputs on ``inputs`` (from :meth:`_inputs`), on the standardised
        scale."""
        model = self._fitted_model()
        return (model.score(inputs) if self.kind == "gnn" else model(*inputs)).numpy()

    def _target_scale(self, standardised: np.ndarray) -> np.ndarray:
        """Standardised predictions back on the targets' scale."""
        out = standardised * self.target_std + self.target_mean
        return np.exp(out) if self.target_transform == "log" else out

    def _features(self, archs: Sequence[Arch]) -> np.ndarray | DenseSparse | list:
        """The training inputs of ``archs``, as :func:`fit_predictor` takes them."""
        if not archs:
            raise ValueError(f"{type(self).__name__}.fit: got no architectures")
        return _FEATURES[self.kind](self.space, archs)

    def _transform(self, targets: Sequence[float] | np.ndarray, count: int) -> np.ndarray:
        y = np.asarray(targets, dtype=np.float64).reshape(-1)
        if len(y) != count:
            raise ValueError(f"{type(self).__name__}.fit: got {count} architectures but {len(y)} targets")
        if self.target_transform == "log":
            bad = y[~(y > 0)]
            if bad.size:
                raise ValueError(
                    f"{type(self).__name__}: target_transform='log' needs positive targets, got {bad[0]}; "
                    "use target_transform=None for a metric that can be zero or negative"
                )
            return np.log(y)
        return y


class CostPredictor(ArchPredictor):
    """An :class:`ArchPredictor` of a positive cost (FLOPs, parameters, latency): the same machinery
    on a log scale (``target_transform="log"``), since costs span orders of magnitude and a search
    compares their ratios.

    Args:
        space: the search space.
        kind: ``"mlp"``, ``"gnn"`` or ``"dense_sparse"`` (default: ``"mlp"``).
        **kwargs: the other keywords of :class:`ArchPredictor`.
    """

    def __init__(
        self, space: SearchSpace, kind: str = "mlp", target_transform: str | None = "log", **kwargs: Any
    ) -> None:
        super().__init__(space, kind, target_transform, **kwargs)


def predict_together(predictors: Sequence[ArchPredictor], archs: Sequence[Arch]) -> list[np.ndarray]:
    """``[p.predict(archs) for p in predictors]``, featurising each chunk of ``archs`` once for all the
    predictors that read the same inputs (the same space object and kind).

    Featurising a small batch costs about as much as a model's pass over it, so a quality and a cost
    predictor of one space score a search's batch for much less than twice one. The chunks are the
    smallest ``predict_batch_size`` of the predictors; the models run in eval mode without autograd.
    """
    for predictor in predictors:
        _eval_mode(predictor._fitted_model())
    size = min((p.predict_batch_size for p in predictors), default=1)
    out = np.empty((len(predictors), len(archs)), dtype=np.float64)
    with torch.inference_mode():
        for start in range(0, len(archs), size):
            chunk = archs[start : start + size]
            shared: dict[tuple[int, str], Tensor | GraphInputs] = {}
            for row, predictor in enumerate(predictors):
                key = (id(predictor.space), predictor.kind)
                with intra_op_threads(predictor.num_threads):
                    if key not in shared:
                        shared[key] = predictor._inputs(chunk)
                    out[row, start : start + len(chunk)] = predictor._standardised(shared[key])
    return [p._target_scale(row) for p, row in zip(predictors, out, strict=True)]


def _eval_mode(model: nn.Module) -> None:
    """Put ``model`` in eval mode if it is training (``train()`` and ``eval()`` set the flags of the
    model and its submodules alike): ``eval()`` walks every submodule, as slow as a layer's work on
    a small batch."""
    if model.training:
        model.eval()

"""Out-of-distribution (OOD) detection: per-sample scores from a classifier's logits and the OpenOOD
measures (AUROC, FPR@95, AUPR-In, AUPR-Out) that tell how well they separate the test set the model
was trained for from images of classes it never saw."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor
from torchmetrics import Metric
from torchmetrics.functional.classification import binary_auroc, binary_average_precision
from torchmetrics.utilities import dim_zero_cat

from nasforge.utils.pylogger import RankedLogger

__all__ = ["MEASURES", "SCORES", "OODDetection", "ood_measures", "ood_score"]

log = RankedLogger(__name__)

#: the ID scores :func:`ood_score` computes
SCORES = ("msp", "energy", "max_logit")
#: the keys of :func:`ood_measures`, in OpenOOD's order
MEASURES = ("auroc", "fpr95", "aupr_in", "aupr_out")


def ood_score(logits: Tensor, kind: str = "msp", temperature: float = 1.0) -> Tensor:
    """Per-sample in-distribution score of logits ``[B, C]``, higher = more in distribution.

    - ``msp``: the maximum softmax probability of ``logits / temperature``;
    - ``energy``: the negative energy ``T * logsumexp(logits / T)``. The energy
      ``-T * logsumexp(logits / T)`` is low on ID samples, so its negative is the score;
    - ``max_logit``: the largest logit (``temperature`` does not change it).

    Args:
        logits: float ``[B, C]``.
        kind: one of :data:`SCORES` (default: "msp").
        temperature: ``T`` > 0 of ``msp`` and ``energy`` (default: 1.0).

    Returns:
        float ``[B]``.
    """
    if kind not in SCORES:
        raise ValueError(f"ood_score: unknown kind {kind!r}, choose one of {SCORES}")
    if not temperature > 0:
        raise ValueError(f"ood_score: temperature must be > 0, got {temperature} (kind {kind!r})")
    if logits.dim() != 2:
        raise ValueError(f"ood_score: expected logits [B, classes], got {tuple(logits.shape)}")
    logits = logits.float()
    if kind == "msp":
        return torch.softmax(logits / temperature, dim=1).amax(dim=1)
    if kind == "energy":
        return temperature * torch.logsumexp(logits / temperature, dim=1)
    return logits.amax(dim=1)


def _fpr_at_95_tpr(id_scores: Tensor, ood_scores: Tensor) -> float:
    """Share of OOD samples with a score >= the k-th largest ID score, k = ceil(0.95 * n_id)."""
    k = -(-95 * id_scores.numel() // 100)  # exact integer ceil(0.95 * n)
    threshold = id_scores.sort(descending=True).values[k - 1]
    return float((ood_scores >= threshold).double().mean())


def ood_measures(id_scores: Tensor, ood_scores: Tensor) -> dict[str, float]:
    """OpenOOD's measures of how well a score separates ID from OOD samples, all x100.

    - ``auroc``: ROC AUC with ID as the positive class (a tie between an ID and an OOD sample counts 0.5);
    - ``fpr95``: the share of OOD samples accepted (score >= threshold) at the threshold that keeps 95%
      of the ID samples, i.e. the largest threshold whose ID true-positive rate is >= 0.95: the k-th
      largest ID score with k = ceil(0.95 * n_id). Every sample scoring exactly the threshold is
      accepted. Lower is better;
    - ``aupr_in``: average precision with ID as the positive class and the score as it is;
    - ``aupr_out``: average precision with OOD as the positive class and the negated score.

    The scores are ranked before torchmetrics sees them: it reads values outside ``[0, 1]`` as logits
    and squashes them with a sigmoid, which turns large scores (energies, max logits) into ties.

    Args:
        id_scores: scores of the in-distribution samples (flattened).
        ood_scores: scores of the OOD samples (flattened).
    """
    id_scores, ood_scores = id_scores.detach().reshape(-1), ood_scores.detach().reshape(-1)
    for name, scores in (("id_scores", id_scores), ("ood_scores", ood_scores)):
        if scores.numel() == 0:
            raise ValueError(f"ood_measures: {name} is empty, so ID and OOD samples cannot be compared")
        if torch.isnan(scores).any():
            raise ValueError(f"ood_measures: {name} holds {int(torch.isnan(scores).sum())} NaN scores")
    scores = torch.cat([id_scores, ood_scores])
    _, ranks = torch.unique(scores, sorted=True, return_inverse=True)
    preds = ranks.double() / max(int(ranks.max()), 1)  # in [0, 1], same order and ties
    is_id = torch.cat(
        [torch.ones_like(id_scores, dtype=torch.long), torch.zeros_like(ood_scores, dtype=torch.long)]
    )
    return {
        "auroc": 100.0 * float(binary_auroc(preds, is_id)),
        "fpr95": 100.0 * _fpr_at_95_tpr(id_scores, ood_scores),
        "aupr_in": 100.0 * float(binary_average_precision(preds, is_id)),
        "aupr_out": 100.0 * float(binary_average_precision(1.0 - preds, 1 - is_id)),
    }


class OODDetection(Metric):
    """Epoch metric of OOD detection against one or more OOD sets, as OpenOOD reports it.

    ``update(logits [B, C], ood int [B])`` takes the logits of a mixed batch, where ``ood == 0`` marks
    ID samples and ``ood == k`` (k >= 1) samples of ``set_names[k - 1]``. It keeps every sample's score,
    so ``compute`` is exact over the epoch and syncs across processes. ``compute`` returns
    ``{name}/auroc``, ``{name}/fpr95``, ``{name}/aupr_in`` and ``{name}/aupr_out`` (see
    :func:`ood_measures`) for every OOD set that got samples, and their means over the ``near`` sets
    as ``auroc``, ``fpr95``, ``aupr_in``, ``aupr_out``. With no ID sample, or no sample of any near set,
    a measure is undefined: it is NaN, with a warning, rather than a number a table would take for a
    result. Near sets missing while others arrived are left out of the mean, with a warning.

    Args:
        set_names: the OOD sets' names, in the order of their ``ood`` index 1, 2, ...
        near: the sets whose mean is reported unprefixed (default: all of ``set_names``).
        score: one of :data:`SCORES` (default: "msp").
        temperature: the score's temperature (default: 1.0).
        kwargs: :class:`~torchmetrics.Metric` arguments.
    """

    is_differentiable = False
    higher_is_better = None  # AUROC and AUPR are, FPR@95 is not
    full_state_update = False

    def __init__(
        self,
        set_names: Sequence[str],
        near: Sequence[str] | None = None,
        score: str = "msp",
        temperature: float = 1.0,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(set_names, str):
            raise ValueError(
                f"OODDetection: set_names must be a sequence of names, got the string {set_names!r}"
            )
        set_names = tuple(set_names)
        if not set_names or len(set(set_names)) != len(set_names):
            raise ValueError(f"OODDetection: set_names must be non-empty and distinct, got {set_names}")
        if isinstance(near, str):
            raise ValueError(f"OODDetection: near must be a sequence of names, got the string {near!r}")
        near = set_names if near is None else tuple(near)
        unknown = [name for name in near if name not in set_names]
        if unknown:
            raise ValueError(f"OODDetection: near sets {unknown} are not among set_names {set_names}")
        if not near:
            raise ValueError(f"OODDetection: near must name at least one of {set_names}")
        ood_score(torch.zeros(1, 2), score, temperature)  # validates score and temperature
        self.set_names = set_names
        self.near = tuple(dict.fromkeys(near))
        self.score = score
        self.temperature = float(temperature)
        self.add_state("scores", default=[], dist_reduce_fx="cat")
        self.add_state("sets", default=[], dist_reduce_fx="cat")

    def update(self, logits: Tensor, ood: Tensor) -> None:
        if logits.dim() != 2 or ood.shape != logits.shape[:1]:
            raise ValueError(
                f"OODDetection: expected logits [B, classes] and ood [B], got {tuple(logits.shape)} "
                f"and {tuple(ood.shape)}"
            )
        if ood.is_floating_point() or ood.is_complex():
            raise ValueError(f"OODDetection: ood must hold integer set indices, got dtype {ood.dtype}")
        ood = ood.long()
        bad = ood[(ood < 0) | (ood > len(self.set_names))]
        if bad.numel():
            raise ValueError(
                f"OODDetection: ood index {int(bad[0])} is outside 0..{len(self.set_names)} "
                f"(0 = in distribution, k = set_names[k - 1] of {self.set_names})"
            )
        self.scores.append(ood_score(logits.detach(), self.score, self.temperature))
        self.sets.append(ood)

    def compute(self) -> dict[str, Tensor]:
        scores, sets = self._gathered(self.scores, torch.float32), self._gathered(self.sets, torch.long)
        id_scores = scores[sets == 0]
        per_set: dict[str, dict[str, float]] = {}
        for k, name in enumerate(self.set_names, start=1):
            ood_scores = scores[sets == k]
            if ood_scores.numel() == 0:
                continue
            per_set[name] = (
                ood_measures(id_scores, ood_scores)
                if id_scores.numel()
                else dict.fromkeys(MEASURES, math.nan)
            )
        arrived = [name for name in self.near if name in per_set]
        missing = [name for name in self.near if name not in per_set]
        absent = []
        if not id_scores.numel():
            absent.append("in-distribution (ood == 0) sample")
        if not arrived:
            absent.append(f"sample of the near OOD sets {missing}")
        if absent:
            log.warning(
                f"OOD detection is undefined: no {' and no '.join(absent)} arrived, so "
                f"{'every measure is' if not id_scores.numel() else 'the mean measures are'} reported as NaN"
            )
        elif missing:
            log.warning(
                f"OOD detection: no sample of the near OOD sets {missing} arrived; the means cover {arrived}"
            )
        result = {
            f"{name}/{measure}": torch.tensor(value, dtype=torch.float32, device=scores.device)
            for name, values in per_set.items()
            for measure, value in values.items()
        }
        for measure in MEASURES:
            mean = sum(per_set[name][measure] for name in arrived) / len(arrived) if arrived else math.nan
            result[measure] = torch.tensor(mean, dtype=torch.float32, device=scores.device)
        return result

    def _gathered(self, state: list[Tensor] | Tensor, dtype: torch.dtype) -> Tensor:
        """A state as one tensor: empty when nothing arrived (``dim_zero_cat`` refuses an empty list)."""
        if isinstance(state, list) and not state:
            return torch.zeros(0, dtype=dtype, device=self.device)
        return dim_zero_cat(state)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(set_names={self.set_names}, near={self.near}, score={self.score!r}, "
            f"temperature={self.temperature})"
        )

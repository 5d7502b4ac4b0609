"""Scoring subnets of a trained NASRec supernet: inherit, fine-tune the final layer, evaluate.

NASRec ranks architectures by their inherited weights after a short *post-training fine-tuning* of the
final layer, which recalibrates the one layer every path shares. Everything is done in a few large
batched passes on data kept on the device: the subnet's features (the input of the final layer) are
computed once, without gradients, for a fixed fine-tuning set and a fixed validation subset; the
fine-tuning then touches only those cached features and the head's weight vector, so it costs far
less than one forward pass of the subnet. Scores are deterministic, so a resumed search reproduces them.

NASRec tunes the final layer on training rows. A supernet that has seen a small sample for several
epochs remembers those rows: a head tuned there reached 0.40 LogLoss on them and 0.55-0.58 on
validation, worse than predicting the click rate, and the inherited LogLoss stopped ranking
architectures (Kendall tau 0.05, against 0.62 tuned on held-out rows; README, NASRec).
``finetune_on="validation"`` tunes it on validation rows that the score does not use.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torchmetrics.functional.classification import binary_auroc

from nasforge.core.arch import Arch
from nasforge.core.cost import count_flops, count_params
from nasforge.recsys.models.embedding import FeatureEmbedding
from nasforge.recsys.nasrec.network import NASRecNet
from nasforge.recsys.nasrec.supernet import NASRecSupernet
from nasforge.utils.pylogger import RankedLogger

__all__ = ["FINETUNE_SOURCES", "SubnetEvaluator", "evaluator_from_data", "take_rows"]

log = RankedLogger(__name__)

#: where the final layer is fine-tuned: NASRec's training rows, or validation rows the score leaves out
FINETUNE_SOURCES = ("train", "validation")


def take_rows(dataset: Any, rows: int) -> dict[str, Tensor]:
    """The first ``rows`` rows of a dataset of batch dicts, concatenated (fewer if it is shorter)."""
    parts: list[dict[str, Tensor]] = []
    total = 0
    for index in range(len(dataset)):
        if total >= rows:
            break
        batch = dataset[index]
        parts.append(batch)
        total += len(batch["label"])
    if not parts:
        raise ValueError(f"take_rows: {dataset!r} is empty")
    return {key: torch.cat([p[key] for p in parts])[:rows] for key in parts[0]}


class SubnetEvaluator:
    """Scores architectures by inherited supernet weights: ``evaluate(arch) -> metrics``.

    The :class:`~nasforge.core.evaluators.SupernetScorer` of NASRec: the search stage completes the
    config's partial (:func:`evaluator_from_data`) with ``supernet=`` and ``datamodule=``.

    Metrics: ``logloss`` and ``auc`` on the validation subset after fine-tuning, ``flops`` (per
    example, 2 x MACs, torch's flop counter on the child network, dot products included) and
    ``params`` (without the embedding tables, which every architecture shares).

    Args:
        supernet: the trained supernet (put it on the device to evaluate on).
        finetune_data: batch dict (``dense``, ``sparse``, ``label``) the final layer is tuned on.
        eval_data: batch dict of the validation subset.
        finetune_steps: fine-tuning steps of the final layer (default: ``300``).
        finetune_batch_size: examples per fine-tuning step (default: ``512``).
        finetune_lr: Adagrad learning rate of the fine-tuning (default: ``0.05``).
        chunk_size: examples per forward pass when computing features (default: ``8192``).
    """

    def __init__(
        self,
        supernet: NASRecSupernet,
        finetune_data: Mapping[str, Tensor],
        eval_data: Mapping[str, Tensor],
        finetune_steps: int = 300,
        finetune_batch_size: int = 512,
        finetune_lr: float = 0.05,
        chunk_size: int = 8192,
    ) -> None:
        positives = int(eval_data["label"].sum())
        if positives in (0, len(eval_data["label"])):
            raise ValueError(
                f"SubnetEvaluator: the {len(eval_data['label'])} validation rows it scores on hold one class "
                f"only ({positives} positives), so every architecture's AUC would be undefined; give it "
                "more rows (the evaluator's eval_rows) or a validation split with clicks and non-clicks"
            )
        self.supernet = supernet
        device = supernet.head.weight.device
        self.finetune_data = {k: v.to(device) for k, v in finetune_data.items()}
        self.eval_data = {k: v.to(device) for k, v in eval_data.items()}
        self.finetune_steps, self.finetune_batch_size = finetune_steps, finetune_batch_size
        self.finetune_lr, self.chunk_size = finetune_lr, chunk_size
        self._costs: dict[str, dict[str, float]] = {}

    def __call__(self, arch: Arch) -> dict[str, float]:
        """Fine-tuned validation ``logloss`` and ``auc`` of ``arch``, with its ``flops`` and ``params``."""
        return {**self.score(arch), **self.cost(arch)}

    @torch.no_grad()
    def features(self, arch: Arch, data: Mapping[str, Tensor]) -> Tensor:
        """Inputs of the final layer for every row of ``data``, in chunks of ``chunk_size``."""
        return torch.cat(list(self._feature_chunks(arch, data)))

    def score(self, arch: Arch) -> dict[str, float]:
        """Validation metrics of ``arch`` after fine-tuning the final layer on the cached features."""
        weight, bias = self._finetune(
            self.features(arch, self.finetune_data),
            self.finetune_data["label"],
            self.supernet.head_weight(arch),
        )
        with torch.no_grad():
            # logits chunk by chunk: the validation features of a wide subnet need not fit at once
            logits = torch.cat([x @ weight + bias for x in self._feature_chunks(arch, self.eval_data)])
            label = self.eval_data["label"]
            logloss = F.binary_cross_entropy_with_logits(logits, label).item()
            auc = binary_auroc(torch.sigmoid(logits), label.long()).item()
        return {"logloss": logloss, "auc": auc}

    @torch.no_grad()
    def _feature_chunks(self, arch: Arch, data: Mapping[str, Tensor]) -> Iterator[Tensor]:
        self.supernet.eval()
        path = self.supernet.resolve_path(arch)
        for start in range(0, len(data["label"]), self.chunk_size):
            end = start + self.chunk_size
            yield self.supernet.forward_features(data["dense"][start:end], data["sparse"][start:end], path)

    def cost(self, arch: Arch) -> dict[str, float]:
        """FLOPs per example and parameters (embeddings excluded) of ``arch``'s child network."""
        cost = self._costs.get(arch.hash)
        if cost is None:
            hyper = self.supernet.network_kwargs()
            with torch.device("meta"):
                child = NASRecNet(arch, **hyper)
                dense = torch.zeros(1, child.num_dense)
                sparse = torch.zeros(1, child.num_sparse, dtype=torch.long)
            cost = {
                "flops": float(count_flops(child, dense, sparse)),
                "params": float(count_params(child, exclude=(FeatureEmbedding,))),
            }
            self._costs[arch.hash] = cost
        return dict(cost)

    def _finetune(self, features: Tensor, label: Tensor, head_weight: Tensor) -> tuple[Tensor, Tensor]:
        """Adagrad on the final layer alone, starting from the supernet's weights on the path
        (``head_weight``), fixed batch order."""
        weight = head_weight.detach().clone().requires_grad_(True)
        bias = self.supernet.head.bias.detach().clone().requires_grad_(True)
        optimizer = torch.optim.Adagrad([weight, bias], lr=self.finetune_lr)
        size = min(self.finetune_batch_size, len(label))
        batches = len(label) // size
        with torch.enable_grad():
            for step in range(self.finetune_steps):
                start = (step % batches) * size
                x, y = features[start : start + size], label[start : start + size]
                loss = F.binary_cross_entropy_with_logits(x @ weight + bias, y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
        return weight.detach(), bias.detach()


def evaluator_from_data(
    supernet: NASRecSupernet,
    datamodule: Any,
    finetune_rows: int = 16384,
    eval_rows: int = 65536,
    finetune_on: str = "train",
    evaluator_class: type[SubnetEvaluator] = SubnetEvaluator,
    **settings: Any,
) -> SubnetEvaluator:
    """A :class:`SubnetEvaluator` (or ``evaluator_class``, a subclass) that scores on the first
    ``eval_rows`` validation rows of a set-up CTR datamodule and fine-tunes on ``finetune_rows`` rows:
    the first training rows (``finetune_on="train"``, NASRec's) or the validation rows after those
    scored (``"validation"``). A validation split too short for both is shared between them in the
    same proportion, with a warning. ``settings`` go to the evaluator."""
    if finetune_on not in FINETUNE_SOURCES:
        raise ValueError(
            f"evaluator_from_data: finetune_on must be one of {FINETUNE_SOURCES}, got {finetune_on!r}"
        )
    if finetune_on == "train":
        finetune_data = take_rows(datamodule.data_train, finetune_rows)
        eval_data = take_rows(datamodule.data_val, eval_rows)
    else:
        finetune_data, eval_data = _split_validation(datamodule.data_val, finetune_rows, eval_rows)
    return evaluator_class(supernet, finetune_data, eval_data, **settings)


def _split_validation(
    data_val: Any, finetune_rows: int, eval_rows: int
) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """(fine-tuning rows, scored rows) from the validation split: scored first, then fine-tuning."""
    rows = take_rows(data_val, eval_rows + finetune_rows)
    count = len(rows["label"])
    scored = eval_rows
    if count < eval_rows + finetune_rows:
        scored = round(count * eval_rows / (eval_rows + finetune_rows))
        if not 0 < scored < count:
            raise ValueError(
                f"evaluator_from_data: the validation split holds {count} rows, too few to fine-tune on "
                "some and score on others; use finetune_on=train or a larger validation split"
            )
        log.warning(
            f"The validation split holds {count} rows, fewer than eval_rows + finetune_rows = {eval_rows} + "
            f"{finetune_rows}: subnets are scored on {scored} and fine-tuned on {count - scored}"
        )
    return {k: v[scored:] for k, v in rows.items()}, {k: v[:scored] for k, v in rows.items()}

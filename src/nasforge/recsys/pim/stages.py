"""The ``compare`` stage of the PIM co-design pipeline: the searched model beside the references.

Three models, all trained from scratch on the run's data, tested on its test split and priced by the
same cost model under the same hardware profile:

* **PIM co-design**: the best retrained architecture of the PIM search (stage ``retrain``), priced at
  its blocks' own settings;
* **NASRec, accuracy only**: the architecture with the lowest LogLoss of a search of the same
  supernet that ignores every cost (stage ``search_accuracy``), trained in floating point and
  priced at the profile's defaults, as a model designed for accuracy alone would be deployed;
* **DLRM**: the baseline (``cfg.pim_baseline``), priced at the profile's defaults.

The ratios are the seed's claims: FLOPs efficiency, energy efficiency and speed of the PIM model over
each reference (``reference / PIM``, so above 1 favours the PIM model).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, open_dict

from nasforge.core.arch import Arch
from nasforge.core.cost import count_flops
from nasforge.core.hardware import HardwareProfile
from nasforge.core.history import History
from nasforge.pipeline import (
    ReportResult,
    RetrainResult,
    RunContext,
    SearchResult,
    StageResult,
    train_in_folder,
)
from nasforge.pipeline.distributed import is_rank_zero, wait_for_every_rank
from nasforge.recsys.pim.arch_pricing import price_network
from nasforge.recsys.pim.report import model_slug, write_comparison, write_pareto
from nasforge.utils.pylogger import RankedLogger

__all__ = ["PIMComparisonStage"]

log = RankedLogger(__name__)


class PIMComparisonStage:
    """Train the references, price all three models, write the comparison and the Pareto front.

    Writes ``pim_comparison.md``, ``pim_comparison.json`` and ``pim_comparison.png`` (the models and
    the ratios), ``pim_pareto.json`` and ``pim_pareto.png`` (LogLoss, energy and latency of every
    evaluation of the PIM search, the three-objective front highlighted). References train in
    ``compare/<name>/`` and leave ``result.json``, so a killed stage resumes. Under DDP every process
    trains the references and rank 0 prices them and writes the report.

    Args:
        hardware: the profile the models are priced under (a ``configs/hardware`` option).
        float_child_key: config key of the float NASRec child model config taking ``arch``
            (default: ``"accuracy_child"``).
        baseline_key: config key of the baseline's model config (default: ``"pim_baseline"``).
        retrain_stage: stage that retrained the PIM search's best (default: ``"retrain"``).
        accuracy_stage: the accuracy-only search stage (default: ``"search_accuracy"``).
        search_stage: the PIM search stage, whose history the Pareto front reads (default: ``"search"``).
        name: stage name (default: ``"compare"``).
    """

    produces = ReportResult

    #: trains the references with Lightning, so under DDP every process runs it
    runs_on_every_rank = True

    def __init__(
        self,
        hardware: HardwareProfile,
        float_child_key: str = "accuracy_child",
        baseline_key: str = "pim_baseline",
        retrain_stage: str = "retrain",
        accuracy_stage: str = "search_accuracy",
        search_stage: str = "search",
        name: str = "compare",
    ) -> None:
        self.hardware, self.float_child_key, self.baseline_key = hardware, float_child_key, baseline_key
        self.retrain_stage, self.accuracy_stage, self.search_stage = (
            retrain_stage,
            accuracy_stage,
            search_stage,
        )
        self.name = name

    @property
    def consumes(self) -> dict[str, type[StageResult]]:
        return {
            self.retrain_stage: RetrainResult,
            self.accuracy_stage: SearchResult,
            self.search_stage: SearchResult,
        }

    def run(self, context: RunContext) -> ReportResult:
        cfg, out = context.cfg, context.output_dir
        retrained = context.result(self.retrain_stage, RetrainResult)
        accuracy_arch = context.result(self.accuracy_stage, SearchResult).top_k[0].arch
        accuracy_file = out / "compare" / "accuracy_arch.json"
        if is_rank_zero():
            accuracy_arch.save(accuracy_file)
        wait_for_every_rank()  # every process builds that child from the file
        float_cfg = cfg[self.float_child_key]
        models = {
            "PIM co-design": (
                self._child_cfg(float_cfg, retrained.best_arch),
                Arch.load(retrained.best_arch),
            ),
            "NASRec, accuracy only": (self._child_cfg(float_cfg, accuracy_file), None),
            "DLRM": (cfg[self.baseline_key], None),
        }
        tested = {}
        for label, (model_cfg, priced_arch) in models.items():
            if priced_arch is not None:
                tested[label] = retrained.metrics
            else:
                folder = out / "compare" / model_slug(label)
                tested[label] = train_in_folder(context, model_cfg, folder, label, test=True)["metrics"]
        if not is_rank_zero():
            return ReportResult()  # the pipeline hands every process rank 0's report
        rows = [
            self._row(context, label, model_cfg, priced_arch, tested[label])
            for label, (model_cfg, priced_arch) in models.items()
        ]
        comparison = write_comparison(rows, self.hardware, out)
        history = History(Path(context.result(self.search_stage, SearchResult).history))
        write_pareto(history, out)
        log.info(f"PIM comparison ({self.hardware.name}):\n{comparison['table']}")
        files = {"comparison": str(out / "pim_comparison.md"), "pareto": str(out / "pim_pareto.json")}
        return ReportResult(metrics=comparison["metrics"], files=files)

    @staticmethod
    def _child_cfg(model_cfg: DictConfig, arch_file: str | Path) -> DictConfig:
        child = copy.deepcopy(model_cfg)
        with open_dict(child):
            child.arch = str(arch_file)
        return child

    def _row(
        self,
        context: RunContext,
        label: str,
        model_cfg: DictConfig,
        arch: Arch | None,
        tested: dict[str, float],
    ) -> dict[str, Any]:
        """The model's test metrics, FLOPs and PIM figures (its float network, priced)."""
        net = context.build_model(model_cfg).net
        inputs = context.datamodule.example_inputs()
        report = price_network(net, inputs, arch, self.hardware)
        return {
            "model": label,
            "test/logloss": tested["test/logloss"],
            "test/auc": tested["test/auc"],
            "flops": float(count_flops(net, *inputs)),
            **{key: report.totals()[key] for key in ("energy_pj", "latency_ns", "area_mm2")},
            "pim_settings": "per block (searched)" if arch is not None else "profile defaults",
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, hardware={self.hardware.name!r})"

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
import json
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, open_dict

from nasforge.core.arch import Arch
from nasforge.core.cost import count_flops
from nasforge.core.history import History
from nasforge.pipeline import RunContext, write_json
from nasforge.recsys.pim.arch_pricing import price_network
from nasforge.recsys.pim.comparison_report import model_slug, write_comparison, write_pareto
from nasforge.recsys.pim.report import ctr_example_inputs
from nasforge.stages.train import build_model, fit_model, floats, run_datamodule
from nasforge.utils.pylogger import RankedLogger

__all__ = ["PIMComparisonStage"]

log = RankedLogger(__name__)

_RESULT = "result.json"


class PIMComparisonStage:
    """Train the references, price all three models, write the comparison and the Pareto front.

    Writes ``pim_comparison.md``, ``pim_comparison.json`` and ``pim_comparison.png`` (the models and
    the ratios), ``pim_pareto.json`` and ``pim_pareto.png`` (LogLoss, energy and latency of every
    evaluation of the PIM search, the three-objective front highlighted). References train in
    ``compare/<name>/`` and leave ``result.json``, so a killed stage resumes.

    Args:
        hardware: profile name or YAML path the models are priced under (default: ``"conservative"``).
        float_child_key: config key of the float NASRec child model config taking ``arch``
            (default: ``"accuracy_child"``).
        baseline_key: config key of the baseline's model config (default: ``"pim_baseline"``).
        retrain_stage: stage that retrained the PIM search's best (default: ``"retrain"``).
        accuracy_stage: the accuracy-only search stage (default: ``"search_accuracy"``).
        history: the PIM search's history, relative to the run folder (default: ``"history.jsonl"``).
        name: stage name (default: ``"compare"``).
    """

    def __init__(
        self,
        hardware: str = "conservative",
        float_child_key: str = "accuracy_child",
        baseline_key: str = "pim_baseline",
        retrain_stage: str = "retrain",
        accuracy_stage: str = "search_accuracy",
        history: str = "history.jsonl",
        name: str = "compare",
    ) -> None:
        self.hardware, self.float_child_key, self.baseline_key = hardware, float_child_key, baseline_key
        self.retrain_stage, self.accuracy_stage = retrain_stage, accuracy_stage
        self.history, self.name = history, name

    def run(self, context: RunContext) -> dict[str, Any]:
        cfg, out = context.cfg, context.output_dir
        retrained = self._stage_result(context, self.retrain_stage, "best_arch")
        accuracy_top = self._stage_result(context, self.accuracy_stage, "top_k")["top_k"]
        datamodule = run_datamodule(context)
        pim_arch = Arch.load(retrained["best_arch"])
        accuracy_arch = Arch.from_dict(accuracy_top[0]["arch"], source=f"{self.accuracy_stage} result")
        accuracy_file = accuracy_arch.save(out / "compare" / "accuracy_arch.json")
        float_cfg = cfg[self.float_child_key]
        pim_cfg = self._child_cfg(float_cfg, retrained["best_arch"])
        models = {
            "PIM co-design": (pim_cfg, pim_arch, retrained["metrics"]),
            "NASRec, accuracy only": (self._child_cfg(float_cfg, accuracy_file), None, None),
            "DLRM": (cfg[self.baseline_key], None, None),
        }
        rows = []
        for label, (model_cfg, priced_arch, tested) in models.items():
            if tested is None:
                folder = out / "compare" / model_slug(label)
                tested = self._train(cfg, model_cfg, datamodule, folder, label)
            rows.append(self._row(label, model_cfg, datamodule, priced_arch, tested))
        comparison = write_comparison(rows, self.hardware, out)
        pareto = write_pareto(History(out / self.history), out)
        log.info(f"PIM comparison ({self.hardware}):\n{comparison['table']}")
        return {"metrics": comparison["metrics"], "comparison": comparison["rows"], "pareto": pareto}

    def _stage_result(self, context: RunContext, stage: str, key: str) -> dict[str, Any]:
        result = context.results.get(stage, {})
        if not result.get(key):
            raise RuntimeError(
                f"PIMComparisonStage: stage '{stage}' handed over no '{key}'; it must run before "
                f"'{self.name}' (see configs/pipeline/pim_co_design.yaml)"
            )
        return result

    @staticmethod
    def _child_cfg(model_cfg: DictConfig, arch_file: str | Path) -> DictConfig:
        child = copy.deepcopy(model_cfg)
        with open_dict(child):
            child.arch = str(arch_file)
        return child

    def _train(
        self, cfg: DictConfig, model_cfg: DictConfig, datamodule: Any, folder: Path, label: str
    ) -> dict[str, float]:
        """Fit and test one reference in ``folder`` (reusing a finished one); its metrics."""
        result_file = folder / _RESULT
        if result_file.is_file():
            log.info(f"{label}: already trained in {folder}")
            return json.loads(result_file.read_text())["metrics"]
        log.info(f"{label}: training from scratch in {folder}")
        run_cfg = copy.deepcopy(cfg)
        with open_dict(run_cfg):
            run_cfg.model = copy.deepcopy(model_cfg)
            run_cfg.paths.output_dir = str(folder)
            run_cfg.ckpt_path = None
        model = build_model(run_cfg.model, datamodule)
        trainer, metrics, best_path = fit_model(run_cfg, model, datamodule)
        trainer.test(model=model, datamodule=datamodule, ckpt_path=best_path or None)
        metrics.update(floats(trainer.callback_metrics))
        write_json(result_file, {"metrics": metrics, "best_checkpoint": best_path})
        return metrics

    def _row(
        self, label: str, model_cfg: DictConfig, datamodule: Any, arch: Arch | None, tested: dict[str, float]
    ) -> dict[str, Any]:
        """The model's test metrics, FLOPs and PIM figures (its float network, priced)."""
        net = build_model(copy.deepcopy(model_cfg), datamodule).net
        report = price_network(net, arch, self.hardware)
        return {
            "model": label,
            "test/logloss": tested["test/logloss"],
            "test/auc": tested["test/auc"],
            "flops": float(count_flops(net, *ctr_example_inputs(net))),
            **{key: report.totals()[key] for key in ("energy_pj", "latency_ns", "area_mm2")},
            "pim_settings": "per block (searched)" if arch is not None else "profile defaults",
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, hardware={self.hardware!r})"

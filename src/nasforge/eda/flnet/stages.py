"""The ``federated`` stage: local-only, centralised and federated routability training, compared."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from omegaconf import DictConfig, OmegaConf

from nasforge.eda.flnet.baselines import centralized_scores, local_scores
from nasforge.eda.flnet.federated import (
    BACKENDS,
    ClientRunner,
    FederatedMethod,
    FederationPlan,
    build_client_app,
    build_server_app,
    simulate,
)
from nasforge.eda.flnet.report import format_table, plot_client_auc, summarise
from nasforge.pipeline import ReportResult, RunContext, write_json
from nasforge.utils.pylogger import RankedLogger

__all__ = ["FederatedStage"]

log = RankedLogger(__name__)


class FederatedStage:
    """Train ``cfg.model`` on the clients of ``cfg.data`` every way the comparison needs, and report.

    Rows: ``local`` (each client alone), ``centralized`` (all tiles pooled, the upper bound), then each
    :class:`~nasforge.eda.flnet.federated.FederatedMethod` run as a Flower simulation (Ray backend). Every
    row gets the same training budget, ``num_rounds * local_epochs`` epochs, and is scored by ROC AUC
    on each client's test tiles. Writes ``federated_report.md``, ``client_auc.png`` and
    ``federated.json`` to the run folder. With ``trainer.fast_dev_run`` every row trains one round on
    one batch, without Ray: a smoke test, not a result.

    Args:
        methods: the federated recipes (default: none: baselines only).
        name: stage name (default: "federated").
        num_rounds: federated rounds (default: 5).
        local_epochs: client epochs per round (default: 1).
        primary: the method whose mean scores are ``test/auc`` and ``test/pr_auc`` (default: the last).
        local_baseline: run the local-only row (default: True).
        centralized_baseline: run the pooled row (default: True).
        round_timeout: seconds to wait for a round's replies (default: 600).
        backend: ``"ray"`` (Flower's simulation runtime) or ``"inprocess"`` (the same apps without Ray,
            see :class:`~nasforge.eda.flnet.federated.InProcessGrid`); ``fast_dev_run`` always uses
            ``"inprocess"``, since starting Ray alone takes longer than the smoke run (default: "ray").
        fraction_evaluate: share of clients validating after every round (default: 1.0).
        client_resources: Ray resources per virtual client (default: ``{"num_cpus": 1}``).
        ray_init_args: ``ray.init`` keywords (default: none).
    """

    produces = ReportResult

    def __init__(
        self,
        methods: Sequence[FederatedMethod] = (),
        name: str = "federated",
        num_rounds: int = 5,
        local_epochs: int = 1,
        primary: str | None = None,
        local_baseline: bool = True,
        centralized_baseline: bool = True,
        round_timeout: float = 600.0,
        backend: str = "ray",
        fraction_evaluate: float = 1.0,
        client_resources: dict[str, float] | None = None,
        ray_init_args: dict[str, Any] | None = None,
    ) -> None:
        self.methods = list(methods)
        names = [m.name for m in self.methods] + ["local", "centralized"]
        if len(set(names)) != len(names):
            raise ValueError(
                f"FederatedStage: method names must be unique and not local/centralized, got {names}"
            )
        if primary is not None and primary not in names:
            raise ValueError(f"FederatedStage: primary='{primary}' is not one of {names}")
        if num_rounds < 1 or local_epochs < 1:
            raise ValueError(
                f"FederatedStage: num_rounds ({num_rounds}) and local_epochs ({local_epochs}) must be >= 1"
            )
        self.name = name
        self.num_rounds = num_rounds
        self.local_epochs = local_epochs
        self.primary = primary or (self.methods[-1].name if self.methods else "centralized")
        self.local_baseline = local_baseline
        self.centralized_baseline = centralized_baseline
        self.round_timeout = round_timeout
        if backend not in BACKENDS:
            raise ValueError(f"FederatedStage: backend must be one of {BACKENDS}, got '{backend}'")
        self.backend = backend
        self.fraction_evaluate = fraction_evaluate
        self.client_resources = dict(client_resources or {})
        self.ray_init_args = dict(ray_init_args or {})

    @property
    def consumes(self) -> dict[str, type]:
        return {}

    def run(self, context: RunContext) -> ReportResult:
        cfg = context.cfg
        data = context.datamodule
        model_cfg = OmegaConf.to_container(context.model_config(cfg.model), resolve=True)
        quick = bool(cfg.trainer.get("fast_dev_run"))
        rounds, epochs = (1, 1) if quick else (self.num_rounds, self.local_epochs)
        trainer_kwargs = _trainer_kwargs(cfg.trainer, quick)
        limit = 1 if quick else None
        seed = int(cfg.get("seed") or 0)
        scores: dict[str, dict[str, dict[str, float]]] = {}
        if self.local_baseline:
            log.info(f"Local-only baseline: {len(data.client_names)} clients, {rounds * epochs} epochs each")
            scores["local"] = local_scores(data, model_cfg, rounds * epochs, trainer_kwargs, seed, limit)
        if self.centralized_baseline:
            log.info(f"Centralised baseline: all tiles pooled, {rounds * epochs} epochs")
            scores["centralized"] = centralized_scores(
                data, model_cfg, rounds * epochs, trainer_kwargs, seed, limit
            )
        federated = self._federate(cfg, data, model_cfg, rounds, epochs, trainer_kwargs, seed, limit)
        scores.update({name: result["clients"] for name, result in federated.items()})
        return self._report(context, scores, federated)

    def _federate(
        self, cfg: DictConfig, data, model_cfg, rounds, epochs, trainer_kwargs, seed, limit
    ) -> dict:
        if not self.methods:
            return {}
        plan = FederationPlan(
            methods=self.methods,
            model_cfg=model_cfg,
            client_names=data.client_names,
            num_rounds=rounds,
            local_epochs=epochs,
            round_timeout=self.round_timeout,
            fraction_evaluate=self.fraction_evaluate,
            seed=seed,
        )
        data_cfg = OmegaConf.to_container(cfg.data, resolve=True)
        runner = ClientRunner(model_cfg, data_cfg, trainer_kwargs, seed, limit)
        backend = "inprocess" if limit is not None else self.backend
        if backend != self.backend:
            log.warning("fast_dev_run: the Flower apps run in-process (InProcessGrid), not on Ray")
        simulate(
            build_server_app(plan),
            build_client_app(runner),
            len(data.client_names),
            backend,
            self.client_resources,
            self.ray_init_args,
        )
        missing = [m.name for m in self.methods if m.name not in plan.results]
        if missing:
            reasons = "; ".join(f"{name}: {plan.errors[name]}" for name in missing if name in plan.errors)
            raise RuntimeError(
                f"FederatedStage: the Flower simulation ended without results for {missing}"
                + (f". {reasons}" if reasons else "; see its log")
            )
        return plan.results

    def _report(self, context: RunContext, scores: dict, federated: dict) -> ReportResult:
        table = format_table(scores)
        log.info(f"Per-client ROC AUC on test tiles:\n{table}")
        (context.output_dir / "federated_report.md").write_text(table)
        plot = plot_client_auc(scores, context.output_dir / "client_auc.png")
        write_json(context.output_dir / "federated.json", {"scores": scores, "federated": federated})
        auc, pr_auc = summarise(scores, "auc"), summarise(scores, "pr_auc")
        metrics: dict[str, float] = {"test/auc": auc[self.primary], "test/pr_auc": pr_auc[self.primary]}
        for method, per_client in scores.items():
            metrics[f"test/auc_{method}"] = auc[method]
            metrics[f"test/pr_auc_{method}"] = pr_auc[method]
            metrics.update({f"test/auc_{method}_{c}": s["auc"] for c, s in per_client.items()})
        if "local" in auc and auc["local"] > 0 and math.isfinite(auc[self.primary]):
            metrics["test/auc_gain_over_local"] = auc[self.primary] / auc["local"] - 1
        files = {"report": str(context.output_dir / "federated_report.md"), "plot": str(plot)}
        return ReportResult(metrics=metrics, files=files)

    def __repr__(self) -> str:
        names = [m.name for m in self.methods]
        return f"{type(self).__name__}(name={self.name!r}, methods={names}, num_rounds={self.num_rounds})"


def _trainer_kwargs(trainer_cfg: DictConfig, quick: bool) -> dict[str, Any]:
    """The run's trainer settings that matter for short local fits (one batch under fast_dev_run)."""
    kwargs = {
        "gradient_clip_val": trainer_cfg.get("gradient_clip_val"),
        "precision": trainer_cfg.get("precision", "32-true"),
        "limit_train_batches": 1 if quick else trainer_cfg.get("limit_train_batches", 1.0),
        "deterministic": bool(trainer_cfg.get("deterministic", False)),
    }
    return {key: value for key, value in kwargs.items() if value is not None}

"""The Flower ``ServerApp``: run each federated method in turn on the same nodes and score it per client.

For every :class:`FederatedMethod` the server starts from the same seeded network, runs the method's
strategy for ``num_rounds`` rounds (each client validates the global model after every round), then
sends the final global tensors to every client once more to be fine-tuned (if the method asks) and
scored on the client's test tiles. Only the shared tensors ever go out; the replies hold metrics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MessageType, RecordDict
from flwr.serverapp import Grid, ServerApp

from nasforge.eda.flnet.federated.local_fit import build_module
from nasforge.eda.flnet.federated.method import FederatedMethod
from nasforge.eda.flnet.federated.params import shared_arrays, shared_keys
from nasforge.utils.pylogger import RankedLogger

__all__ = ["FederationPlan", "build_server_app", "run_methods"]

log = RankedLogger(__name__)


@dataclass
class FederationPlan:
    """Everything the server decides, and where it leaves the results.

    Args:
        methods: the federated recipes to run, in order.
        model_cfg: the ``ChildModule`` config the clients build (the server builds it once for the
            initial weights).
        client_names: the clients, by partition id (for the report).
        num_rounds: federated rounds per method (default: 5).
        local_epochs: epochs each client trains per round (default: 1).
        round_timeout: seconds the server waits for replies in a round; late clients are left out
            (default: 600).
        fraction_evaluate: share of clients that validate after every round; 0 skips it (default: 1.0).
        seed: initialisation seed shared with the clients (default: 0).
    """

    methods: list[FederatedMethod]
    model_cfg: dict[str, Any]
    client_names: list[str]
    num_rounds: int = 5
    local_epochs: int = 1
    round_timeout: float = 600.0
    fraction_evaluate: float = 1.0
    seed: int = 0
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: why a method ended without results (under Ray the server's exception stays in its log)
    errors: dict[str, str] = field(default_factory=dict)


def _final_scores(grid: Grid, plan: FederationPlan, method: FederatedMethod, arrays: ArrayRecord) -> dict:
    """Send the final global tensors to every node; return ``{client: {auc, pr_auc, loss}}``."""
    config = ConfigRecord(
        {
            **method.client_config(),
            "split": "test",
            "finetune-epochs": method.finetune_epochs,
            "client-names": plan.client_names,
        }
    )
    messages = [
        Message(
            RecordDict({"arrays": arrays, "config": config}),
            dst_node_id=node,
            message_type=MessageType.EVALUATE,
        )
        for node in grid.get_node_ids()
    ]
    scores = {name: {"auc": math.nan, "pr_auc": math.nan, "loss": math.nan} for name in plan.client_names}
    for reply in grid.send_and_receive(messages, timeout=plan.round_timeout):
        if reply.has_error():
            log.warning(
                f"{method.name}: node {reply.metadata.src_node_id} failed its test: {reply.error.reason}"
            )
            continue
        metrics = reply.content["metrics"]
        client = plan.client_names[int(metrics["partition-id"])]
        scores[client] = {"auc": metrics["auc"], "pr_auc": metrics["pr-auc"], "loss": metrics["loss"]}
    return scores


def run_methods(grid: Grid, plan: FederationPlan) -> None:
    """The server's work: every method of ``plan`` in turn; results go to ``plan.results``."""
    net = build_module(plan.model_cfg, plan.seed).net
    for method in plan.methods:
        log.info(
            f"Federated method '{method.name}': {plan.num_rounds} rounds, {len(plan.client_names)} clients"
        )
        initial = shared_arrays(net, shared_keys(net, method.personal_layers))
        base = {**method.client_config(), "local-epochs": plan.local_epochs}
        try:
            result = method.strategy(len(plan.client_names), plan.fraction_evaluate).start(
                grid,
                initial,
                num_rounds=plan.num_rounds,
                timeout=plan.round_timeout,
                train_config=ConfigRecord(base),
                evaluate_config=ConfigRecord(
                    {**base, "split": "val", "finetune-epochs": 0, "client-names": plan.client_names}
                ),
            )
        except Exception as error:
            plan.errors[method.name] = f"{type(error).__name__}: {error}"
            raise
        final = result.arrays if len(result.arrays) else initial
        plan.results[method.name] = {
            "clients": _final_scores(grid, plan, method, final),
            "val_rounds": {r: dict(m) for r, m in result.evaluate_metrics_clientapp.items()},
            "shared_tensors": len(final),
        }


def build_server_app(plan: FederationPlan) -> ServerApp:
    """A ``ServerApp`` whose ``main`` is :func:`run_methods` on ``plan``."""
    app = ServerApp()

    @app.main()
    def main(grid: Grid, context: Context) -> None:
        run_methods(grid, plan)

    return app

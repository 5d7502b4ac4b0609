"""Module-level ``ClientApp`` and ``ServerApp`` for a real deployment: ``flwr run apps/flnet <connection>``.

Every setting comes from the run (``context.run_config``, the ``[tool.flwr.app.config]`` table of
``apps/flnet/pyproject.toml``, overridable with ``flwr run --run-config``) or from the SuperNode
(``context.node_config``, given with ``flower-supernode --node-config``):

* node: ``data-root`` (the house's layout folder: ``<data-root>/<client>/{features,labels}/*.npy``, or
  CircuitNet's flat ``<data-root>/{feature,label}/*.npy``) and ``client`` (its client there; default:
  the node's ``partition-id``-th one).
* run: ``method`` (``fedavg`` | ``fedprox`` | ``flnet_personal``), ``num-rounds``, ``local-epochs``,
  ``proximal-mu``, ``personal-layers`` (comma-separated patterns), ``finetune-epochs``,
  ``round-timeout``, ``fraction-evaluate``, ``clients`` (comma-separated report rows, one per node),
  ``channels`` (comma-separated, empty = all), ``batch-size``, ``lr``, ``seed``, ``output-dir`` (the
  server writes ``federated.json`` there when set) and ``net.*`` (the network: ``net._target_`` and its
  keywords).

The apps only translate these flat settings into the :class:`ClientRunner` and :class:`FederationPlan`
the simulation uses, so both runtimes train exactly the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flwr.app import Context, Message
from flwr.clientapp import ClientApp
from flwr.common.config import unflatten_dict
from flwr.serverapp import Grid, ServerApp

from nasforge.eda.data import channel_indices
from nasforge.eda.flnet.federated.client import ClientRunner
from nasforge.eda.flnet.federated.method import FederatedMethod
from nasforge.eda.flnet.federated.server import FederationPlan, run_methods
from nasforge.eda.flnet.report import format_table
from nasforge.pipeline import write_json
from nasforge.utils.pylogger import RankedLogger

__all__ = ["METHODS", "client_app", "client_runner", "federation_plan", "model_config", "server_app"]

log = RankedLogger(__name__)

METHODS = ("fedavg", "fedprox", "flnet_personal")


def _names(value: Any) -> list[str]:
    """A comma-separated run-config string as a list (run configs hold no lists)."""
    return [part.strip() for part in str(value).split(",") if part.strip()]


def model_config(run_config: dict[str, Any]) -> dict[str, Any]:
    """The ``ChildModule`` config: the ``net.*`` table, ``in_channels`` from ``channels``, Adam at ``lr``."""
    net = unflatten_dict({key: value for key, value in run_config.items() if key.startswith("net.")})
    if "_target_" not in net.get("net", {}):
        raise ValueError(
            "flnet app: the run config has no 'net._target_'; set e.g. "
            "net._target_ = 'nasforge.eda.flnet.FLNet' under [tool.flwr.app.config]"
        )
    channels = _names(run_config.get("channels", "")) or None
    return {
        "_target_": "nasforge.lit.ChildModule",
        "task": {"_target_": "nasforge.tasks.RoutabilityTask"},
        "net": {**net["net"], "in_channels": len(channel_indices(channels))},
        "optimizer": {"_target_": "torch.optim.Adam", "_partial_": True, "lr": float(run_config["lr"])},
    }


def federation_plan(run_config: dict[str, Any]) -> FederationPlan:
    """The server's plan for the one method ``run_config["method"]`` names."""
    name = str(run_config["method"])
    if name not in METHODS:
        raise ValueError(f"flnet app: method must be one of {METHODS}, got '{name}'")
    kwargs: dict[str, Any] = {}
    if name == "fedprox":
        kwargs["proximal_mu"] = float(run_config["proximal-mu"])
    if name == "flnet_personal":
        kwargs["personal_layers"] = _names(run_config["personal-layers"])
        kwargs["finetune_epochs"] = int(run_config["finetune-epochs"])
    clients = _names(run_config["clients"])
    if not clients:
        raise ValueError("flnet app: run config 'clients' is empty; name one client per SuperNode")
    return FederationPlan(
        methods=[FederatedMethod(name, **kwargs)],
        model_cfg=model_config(run_config),
        client_names=clients,
        num_rounds=int(run_config["num-rounds"]),
        local_epochs=int(run_config["local-epochs"]),
        round_timeout=float(run_config["round-timeout"]),
        fraction_evaluate=float(run_config["fraction-evaluate"]),
        seed=int(run_config["seed"]),
    )


_RUNNERS: dict[str, ClientRunner] = {}


def client_runner(context: Context) -> ClientRunner:
    """The node's :class:`ClientRunner`, built once per process (its data is read once)."""
    run_config, node_config = context.run_config, context.node_config
    if "data-root" not in node_config:
        raise ValueError(
            "flnet app: the SuperNode has no 'data-root'; start it with "
            "--node-config \"client='client0' data-root='/data/routability'\""
        )
    data_cfg = {
        "_target_": "nasforge.eda.data.RoutabilityDataModule",
        "path": str(node_config["data-root"]),
        "clients": [str(node_config["client"])] if "client" in node_config else None,
        "channels": _names(run_config.get("channels", "")) or None,
        "batch_size": int(run_config["batch-size"]),
        "seed": int(run_config["seed"]),
    }
    model_cfg = model_config(run_config)
    key = json.dumps([model_cfg, data_cfg], sort_keys=True)
    if key not in _RUNNERS:
        _RUNNERS[key] = ClientRunner(model_cfg, data_cfg, seed=int(run_config["seed"]))
    return _RUNNERS[key]


client_app = ClientApp()


@client_app.train()
def train(message: Message, context: Context) -> Message:
    return client_runner(context).train(message, context)


@client_app.evaluate()
def evaluate(message: Message, context: Context) -> Message:
    return client_runner(context).evaluate(message, context)


server_app = ServerApp()


@server_app.main()
def main(grid: Grid, context: Context) -> None:
    plan = federation_plan(context.run_config)
    run_methods(grid, plan)
    scores = {name: result["clients"] for name, result in plan.results.items()}
    log.info(f"Per-client ROC AUC on test tiles:\n{format_table(scores)}")
    output_dir = str(context.run_config.get("output-dir", ""))
    if output_dir:
        write_json(Path(output_dir) / "federated.json", {"scores": scores, "federated": plan.results})

"""The Flower ``ClientApp``: one design house trains on its own tiles and sends back weights and metrics.

A train message carries the global shared tensors and a config (``method``, ``local-epochs``,
``proximal-mu``, ``personal-layers``); the reply carries exactly one ``ArrayRecord`` (the shared tensors
after local training, nothing else of the network) and one ``MetricRecord`` (``num-examples``,
``train-loss``). Tiles, labels and personal layers never leave: the personal layers live in the
node's ``context.state`` between rounds. An evaluate message may ask for local fine-tuning first
(``finetune-epochs``) and is answered with metrics only; its ``client-names`` tell the client which
report row (``partition-id``) it is.
"""

from __future__ import annotations

from typing import Any

from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from nasforge.eda.data import RoutabilityDataModule
from nasforge.eda.flnet.federated.local_fit import build_module, evaluate_module, fit_module
from nasforge.eda.flnet.federated.params import load_arrays, shared_arrays, shared_keys
from nasforge.eda.flnet.federated.proximal import ProximalTask
from nasforge.lit import ChildModule

__all__ = ["ClientRunner", "build_client_app"]


class ClientRunner:
    """What a node needs to train: plain configs, so it pickles into a Ray actor or a SuperNode.

    Args:
        model_cfg: the ``ChildModule`` config (``_target_``, ``net``, ``task``, ``optimizer``), with
            ``net.in_channels`` filled.
        data_cfg: the ``RoutabilityDataModule`` config; each node reads only its own client folder.
        trainer_kwargs: extra ``lightning.Trainer`` arguments for local training (default: none).
        seed: initialisation seed, equal on every node and the server (default: 0).
        eval_limit_batches: score at most this many batches (default: None = all).
    """

    def __init__(
        self,
        model_cfg: dict[str, Any],
        data_cfg: dict[str, Any],
        trainer_kwargs: dict[str, Any] | None = None,
        seed: int = 0,
        eval_limit_batches: int | None = None,
    ) -> None:
        self.model_cfg = model_cfg
        self.data_cfg = data_cfg
        self.trainer_kwargs = dict(trainer_kwargs or {})
        self.seed = seed
        self.eval_limit_batches = eval_limit_batches
        self._data: RoutabilityDataModule | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_data": None}  # every process opens the data itself

    @property
    def data(self) -> RoutabilityDataModule:
        if self._data is None:
            import hydra

            self._data = hydra.utils.instantiate(self.data_cfg)
            self._data.setup()
        return self._data

    def client_name(self, context: Context) -> str:
        """The node's client: ``node_config["client"]`` on a SuperNode, else its partition id."""
        if "client" in context.node_config:
            return str(context.node_config["client"])
        return self.data.client_names[int(context.node_config["partition-id"])]

    def _module(self, message: Message, context: Context) -> tuple[ChildModule, list[str], dict[str, Any]]:
        """The node's network: local state from earlier rounds, then the global shared tensors on top."""
        config = dict(message.content["config"])
        module = build_module(self.model_cfg, self.seed)
        keys = shared_keys(module.net, list(config.get("personal-layers", [])))
        local_key = f"{config['method']}.local"
        if local_key in context.state:
            module.net.load_state_dict(context.state[local_key].to_torch_state_dict())
        load_arrays(module.net, message.content["arrays"])
        return module, keys, config

    def train(self, message: Message, context: Context) -> Message:
        module, keys, config = self._module(message, context)
        mu = float(config.get("proximal-mu", 0.0))
        if mu > 0:
            module.task = ProximalTask(module.task, module.net, mu, names=keys)
        client = self.client_name(context)
        loader = self.data.client_dataloader(client, "train", shuffle=True)
        loss = fit_module(module, loader, int(config.get("local-epochs", 1)), self.trainer_kwargs)
        context.state[f"{config['method']}.local"] = ArrayRecord(module.net.state_dict())
        metrics = MetricRecord({"num-examples": self.data.num_examples(client, "train"), "train-loss": loss})
        return Message(
            RecordDict({"arrays": shared_arrays(module.net, keys), "metrics": metrics}), reply_to=message
        )

    def evaluate(self, message: Message, context: Context) -> Message:
        module, _, config = self._module(message, context)
        client = self.client_name(context)
        finetune = int(config.get("finetune-epochs", 0))
        if finetune > 0:
            fit_module(
                module,
                self.data.client_dataloader(client, "train", shuffle=True),
                finetune,
                self.trainer_kwargs,
            )
        split = str(config.get("split", "val"))
        scores = evaluate_module(module, self.data.client_dataloader(client, split), self.eval_limit_batches)
        # the server's list of clients names the report rows; a SuperNode only knows its own folder
        names = list(config.get("client-names", self.data.client_names))
        if client not in names:
            raise ValueError(f"ClientRunner: client '{client}' is not one of the server's clients {names}")
        metrics = MetricRecord(
            {
                "num-examples": self.data.num_examples(client, split),
                "partition-id": names.index(client),
                **{key.replace("_", "-"): value for key, value in scores.items()},
            }
        )
        return Message(RecordDict({"metrics": metrics}), reply_to=message)


def build_client_app(runner: ClientRunner) -> ClientApp:
    """A ``ClientApp`` whose ``train`` and ``evaluate`` handlers are ``runner``'s."""
    app = ClientApp()
    app.train()(runner.train)
    app.evaluate()(runner.evaluate)
    return app

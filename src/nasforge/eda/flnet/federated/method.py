"""``FederatedMethod``: one federated recipe of the comparison (FedAvg, FedProx, personalised FLNet)."""

from __future__ import annotations

from collections.abc import Sequence

from flwr.serverapp.strategy import FedAvg

from nasforge.eda.flnet.federated.strategy import RobustFedAvg, RobustFedProx

__all__ = ["FederatedMethod"]


class FederatedMethod:
    """How the clients train together.

    Args:
        name: row name in the report (``fedavg``, ``fedprox``, ``flnet_personal``).
        proximal_mu: FedProx's :math:`\\mu`; > 0 uses FedProx, 0 FedAvg (default: 0.0).
        personal_layers: state-dict patterns that stay on the client, e.g. ``["head.*", "*.norm.*"]``
            (default: none: the whole network is averaged).
        finetune_epochs: local epochs each client trains the final model before it is scored
            (default: 0).
    """

    def __init__(
        self,
        name: str,
        proximal_mu: float = 0.0,
        personal_layers: Sequence[str] = (),
        finetune_epochs: int = 0,
    ) -> None:
        # a plain class, not a dataclass: Hydra would turn a dataclass inside a list into a config node
        if proximal_mu < 0:
            raise ValueError(f"FederatedMethod '{name}': proximal_mu must be >= 0, got {proximal_mu}")
        if finetune_epochs < 0:
            raise ValueError(f"FederatedMethod '{name}': finetune_epochs must be >= 0, got {finetune_epochs}")
        self.name = name
        self.proximal_mu = float(proximal_mu)
        self.personal_layers = tuple(personal_layers)
        self.finetune_epochs = int(finetune_epochs)

    def strategy(self, num_clients: int, fraction_evaluate: float = 1.0) -> FedAvg:
        """The server strategy: every client trains in every round."""
        kwargs = dict(
            min_train_nodes=num_clients,
            min_evaluate_nodes=num_clients if fraction_evaluate > 0 else 0,
            min_available_nodes=num_clients,
            fraction_evaluate=fraction_evaluate,
        )
        if self.proximal_mu > 0:
            return RobustFedProx(proximal_mu=self.proximal_mu, **kwargs)
        return RobustFedAvg(**kwargs)

    def client_config(self) -> dict[str, object]:
        """What every message of this method tells the clients."""
        return {"method": self.name, "personal-layers": list(self.personal_layers)}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, proximal_mu={self.proximal_mu}, "
            f"personal_layers={list(self.personal_layers)}, finetune_epochs={self.finetune_epochs})"
        )

"""EDA domain: routability (DRC hotspot) estimation across design houses, trained with Flower.

``data``: the CircuitNet DRC layout split by client; ``models``: FLNet and a RouteNet-style FCN;
``federated``: ClientApp, ServerApp and strategies; :class:`FederatedStage` compares local-only,
centralised and federated training.
"""

from nasforge.eda.federated_stage import FederatedStage

__all__ = ["FederatedStage"]

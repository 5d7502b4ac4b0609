"""FLNet (federated routability estimation): a shallow large-kernel FCN trained across design houses
with Flower, compared with each house alone and with all tiles pooled.

``network``: :class:`FLNet`; ``federated``: ClientApp, ServerApp, robust strategies, FedProx and
personalisation (``federated.apps`` holds the deployment entry points); ``baselines``: the
non-federated rows; ``report``: the comparison table and plot; ``stages``: the pipeline's
``federated`` stage (imported from its module, so the network loads without Flower or the pipeline).
"""

from nasforge.eda.flnet.network import FLNet

__all__ = ["FLNet"]

"""EDA domain: routability (DRC hotspot) estimation across design houses.

``data``: the CircuitNet DRC layout split by client; ``models``: baseline networks (the RouteNet-style
FCN) and their shared blocks; ``flnet``: the FLNet method (its network, Flower apps and strategies,
the local-only and centralised baselines, the comparison report and the ``federated`` stage).
"""

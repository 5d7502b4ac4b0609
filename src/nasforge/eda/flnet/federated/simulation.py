"""Run a ``ServerApp`` and a ``ClientApp`` together in this process."""

from __future__ import annotations

from typing import Any

from flwr.app import Context, RecordDict
from flwr.clientapp import ClientApp
from flwr.serverapp import ServerApp

from nasforge.eda.flnet.federated.inprocess_grid import InProcessGrid

__all__ = ["BACKENDS", "simulate"]

BACKENDS = ("ray", "inprocess")


def simulate(
    server_app: ServerApp,
    client_app: ClientApp,
    num_clients: int,
    backend: str = "ray",
    client_resources: dict[str, float] | None = None,
    init_args: dict[str, Any] | None = None,
) -> None:
    """One virtual node per client; node ``i`` gets ``node_config["partition-id"] = i``.

    Args:
        server_app: runs in this process (a thread under Ray), so results it stores are visible here.
        client_app: under Ray it runs in actors and is pickled, so it must hold plain configs only.
        num_clients: virtual nodes.
        backend: ``"ray"``, Flower's simulation runtime (the only simulation backend of Flower 1.41),
            or ``"inprocess"``, the same apps through :class:`InProcessGrid` without Ray
            (default: ``"ray"``).
        client_resources: Ray resources per client ``{"num_cpus", "num_gpus"}``; fractions let several
            clients share a core (default: one CPU, no GPU).
        init_args: ``ray.init`` keywords, e.g. ``{"num_cpus": 2}`` (default: none).
    """
    if backend == "inprocess":
        grid = InProcessGrid(client_app, num_clients)
        server_app(
            grid=grid,
            context=Context(
                run_id=grid.run.run_id, node_id=0, node_config={}, state=RecordDict(), run_config={}
            ),
        )
        return
    if backend != "ray":
        raise ValueError(f"simulate: unknown backend '{backend}'; choose from {BACKENDS}")
    from flwr.simulation import run_simulation

    backend_config = {
        "client_resources": {"num_cpus": 1.0, "num_gpus": 0.0, **(client_resources or {})},
        "init_args": dict(init_args or {}),
    }
    run_simulation(
        server_app=server_app,
        client_app=client_app,
        num_supernodes=num_clients,
        backend_name="ray",
        backend_config=backend_config,
    )

"""Federated routability training with Flower: ClientApp, ServerApp, robust strategies, FedProx and
personalisation."""

from nasforge.eda.flnet.federated.client import ClientRunner, build_client_app
from nasforge.eda.flnet.federated.inprocess_grid import InProcessGrid
from nasforge.eda.flnet.federated.local_fit import build_module, evaluate_module, fit_module
from nasforge.eda.flnet.federated.method import FederatedMethod
from nasforge.eda.flnet.federated.params import load_arrays, shared_arrays, shared_keys
from nasforge.eda.flnet.federated.proximal import ProximalTask, proximal_term
from nasforge.eda.flnet.federated.server import FederationPlan, build_server_app, run_methods
from nasforge.eda.flnet.federated.simulation import BACKENDS, simulate
from nasforge.eda.flnet.federated.strategy import (
    FiniteReplies,
    NoUsableRepliesError,
    RobustFedAvg,
    RobustFedProx,
    finite_replies,
)

__all__ = [
    "BACKENDS",
    "ClientRunner",
    "FederatedMethod",
    "FederationPlan",
    "FiniteReplies",
    "InProcessGrid",
    "NoUsableRepliesError",
    "ProximalTask",
    "RobustFedAvg",
    "RobustFedProx",
    "build_client_app",
    "build_module",
    "build_server_app",
    "evaluate_module",
    "finite_replies",
    "fit_module",
    "load_arrays",
    "proximal_term",
    "run_methods",
    "shared_arrays",
    "shared_keys",
    "simulate",
]

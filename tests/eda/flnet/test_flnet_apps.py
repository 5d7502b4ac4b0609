"""The deployment apps (``nasforge.eda.flnet.federated.apps``) with ``apps/flnet``'s settings, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomllib
from flwr.app import Context, RecordDict
from flwr.common.config import flatten_dict

from nasforge.eda.flnet.federated import InProcessGrid
from nasforge.eda.flnet.federated.apps import client_app, client_runner, federation_plan, server_app

APP = Path(__file__).resolve().parents[3] / "apps" / "flnet"


def _run_config(**overrides) -> dict:
    """``[tool.flwr.app.config]`` of the app, flattened as Flower does, with ``overrides``."""
    config = tomllib.loads((APP / "pyproject.toml").read_text())["tool"]["flwr"]["app"]["config"]
    return {**flatten_dict(config), **overrides}


def test_apps_read_every_setting_from_the_run_and_node_config(layout, tmp_path):
    names = ["client2", "client0", "client1"]  # report order differs from the folders' order
    run_config = _run_config(
        **{"num-rounds": 1, "clients": ",".join(names), "net.hidden_channels": 8, "output-dir": str(tmp_path)}
    )
    grid = InProcessGrid(client_app, num_clients=3)
    for node, context in grid.contexts.items():
        context.run_config = run_config
        context.node_config = {"client": names[node - 1], "data-root": str(layout)}
    server_app(
        grid=grid,
        context=Context(run_id=1, node_id=0, node_config={}, state=RecordDict(), run_config=run_config),
    )
    saved = json.loads((tmp_path / "federated.json").read_text())
    scores = saved["scores"]["flnet_personal"]
    assert set(scores) == set(names) and all(0.0 <= s["auc"] <= 1.0 for s in scores.values())
    runner = client_runner(grid.contexts[1])
    assert runner.data.client_names == ["client2"]  # a node reads its own folder only
    assert runner.model_cfg["net"] == {
        "_target_": "nasforge.eda.flnet.FLNet",
        "hidden_channels": 8,
        "in_channels": 9,
    }


def test_plan_per_method_and_bad_settings():
    plan = federation_plan(_run_config(method="fedprox", **{"proximal-mu": 0.5}))
    (method,) = plan.methods
    assert (method.name, method.proximal_mu, method.personal_layers) == ("fedprox", 0.5, ())
    personal = federation_plan(_run_config()).methods[0]
    assert personal.personal_layers == ("head.*", "*.norm.*") and personal.finetune_epochs == 1
    with pytest.raises(ValueError, match="method must be one of"):
        federation_plan(_run_config(method="scaffold"))
    with pytest.raises(ValueError, match="no 'data-root'"):
        client_runner(Context(run_id=1, node_id=1, node_config={}, state=RecordDict(), run_config={}))

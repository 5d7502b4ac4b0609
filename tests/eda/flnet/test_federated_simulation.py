"""The Flower simulation runtime (Ray) end to end, and the federated stage with its report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nasforge.eda.flnet.federated import (
    ClientRunner,
    FederatedMethod,
    FederationPlan,
    build_client_app,
    build_server_app,
    simulate,
)
from nasforge.pipeline import run


@pytest.mark.slow
def test_ray_simulation_one_round_three_clients(model_cfg, data_cfg):
    runner = ClientRunner(model_cfg, data_cfg, {"limit_train_batches": 1}, seed=0)
    plan = FederationPlan(
        methods=[FederatedMethod("fedavg")],
        model_cfg=model_cfg,
        client_names=["client0", "client1", "client2"],
        num_rounds=1,
        round_timeout=300,
    )
    simulate(build_server_app(plan), build_client_app(runner), 3, "ray", {"num_cpus": 0.5}, {"num_cpus": 2})
    scores = plan.results["fedavg"]["clients"]
    assert set(scores) == {"client0", "client1", "client2"}
    assert all(0.0 <= s["auc"] <= 1.0 for s in scores.values())


def test_federated_stage_writes_the_report(compose_train):
    cfg = compose_train(
        ["experiment=flnet_routability", "trainer.fast_dev_run=true", "data.synthetic_tiles=[6,4,4]"]
    )
    metrics = run(cfg)
    out = Path(cfg.paths.output_dir)
    table = (out / "federated_report.md").read_text()
    for row in ("local", "centralized", "fedavg", "fedprox", "flnet_personal"):
        assert f"| {row} |" in table
        assert 0.0 <= metrics[f"test/auc_{row}"] <= 1.0
    assert metrics["test/auc"] == metrics["test/auc_flnet_personal"]
    assert "test/auc_gain_over_local" in metrics and metrics["data"]["generated"] is True
    assert (out / "client_auc.png").read_bytes()[:4] == b"\x89PNG"
    saved = json.loads((out / "federated.json").read_text())
    assert set(saved["scores"]["fedavg"]) == {"client0", "client1", "client2"}

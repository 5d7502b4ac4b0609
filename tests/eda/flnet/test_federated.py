"""Client and server logic of the federated routability training, run in-process (no Ray)."""

from __future__ import annotations

from fnmatch import fnmatchcase

import numpy as np
import pytest
import torch
from flwr.app import Array, ArrayRecord, ConfigRecord, Message, RecordDict
from flwr.clientapp import ClientApp

from nasforge.eda.flnet.federated import (
    ClientRunner,
    FederatedMethod,
    FederationPlan,
    InProcessGrid,
    NoUsableRepliesError,
    ProximalTask,
    RobustFedAvg,
    build_client_app,
    build_module,
    build_server_app,
    proximal_term,
    shared_arrays,
    shared_keys,
    simulate,
)
from nasforge.tasks.routability import RoutabilityTask

PERSONAL = ["head.*", "*.norm.*"]


@pytest.fixture
def runner(model_cfg, data_cfg) -> ClientRunner:
    return ClientRunner(model_cfg, data_cfg, {"limit_train_batches": 2}, seed=0)


def _recording_app(runner: ClientRunner, replies: dict, fail: dict | None = None) -> ClientApp:
    """The runner's ClientApp, recording every train reply by partition; ``fail`` picks misbehaviour."""
    app = ClientApp()
    fail = fail or {}

    @app.train()
    def train(message, context):
        partition = int(context.node_config["partition-id"])
        if fail.get(partition) == "raise":
            raise RuntimeError("disk full")
        reply = runner.train(message, context)
        if fail.get(partition) == "nan":
            arrays = reply.content["arrays"]
            reply.content["arrays"] = ArrayRecord(
                {k: Array(np.full_like(v.numpy(), np.nan)) for k, v in arrays.items()}
            )
        replies[partition] = reply
        return reply

    app.evaluate()(runner.evaluate)
    return app


def _start(grid, net, personal=(), rounds=1):
    initial = shared_arrays(net, shared_keys(net, personal))
    config = ConfigRecord({"method": "m", "personal-layers": list(personal), "local-epochs": 1})
    strategy = RobustFedAvg(min_train_nodes=3, min_available_nodes=3, fraction_evaluate=0.0)
    return initial, strategy.start(grid, initial, num_rounds=rounds, train_config=config)


def test_one_round_is_fedavgs_weighted_mean(runner, model_cfg):
    replies: dict[int, Message] = {}
    grid = InProcessGrid(_recording_app(runner, replies), num_clients=3)
    initial, result = _start(grid, build_module(model_cfg, 0).net)
    ordered = [replies[p] for p in sorted(replies)]
    assert len(ordered) == 3
    weights = np.array([r.content["metrics"]["num-examples"] for r in ordered], dtype=float)
    assert list(weights) == [runner.data.num_examples(c) for c in runner.data.client_names]
    for key in initial:
        expected = (
            sum(w * r.content["arrays"][key].numpy() for w, r in zip(weights, ordered, strict=True))
            / weights.sum()
        )
        np.testing.assert_allclose(result.arrays[key].numpy(), expected, rtol=1e-5, atol=1e-6)
    assert not np.allclose(result.arrays["head.weight"].numpy(), initial["head.weight"].numpy())


def test_failed_clients_are_left_out_and_never_corrupt_the_server(runner, model_cfg):
    replies: dict[int, Message] = {}
    grid = InProcessGrid(_recording_app(runner, replies, fail={1: "raise", 2: "nan"}), num_clients=3)
    _, result = _start(grid, build_module(model_cfg, 0).net)
    assert sorted(replies) == [0, 2]
    for key, array in result.arrays.items():  # only client 0 counted
        np.testing.assert_allclose(array.numpy(), replies[0].content["arrays"][key].numpy(), rtol=1e-6)

    # a round with nothing to average stops the run instead of passing the untrained weights on
    everyone_fails = InProcessGrid(_recording_app(runner, {}, fail={0: "raise", 1: "nan", 2: "raise"}), 3)
    with pytest.raises(NoUsableRepliesError, match="round 1: all 3 replies were left out"):
        _start(everyone_fails, build_module(model_cfg, 0).net, rounds=2)


def test_fedprox_term_is_zero_at_the_global_weights():
    net = torch.nn.Sequential(torch.nn.Conv2d(9, 4, 3, padding=1), torch.nn.Conv2d(4, 1, 1))
    task = ProximalTask(RoutabilityTask(), net, mu=0.5)
    x, y = torch.rand(2, 9, 8, 8), (torch.rand(2, 8, 8) > 0.8).float()
    out = task.forward(net, {"features": x})
    assert float(proximal_term(net, task.anchor)) == 0.0
    assert task.loss(out, y).item() == pytest.approx(RoutabilityTask().loss(out, y).item())
    with torch.no_grad():
        net[1].bias += 2.0
    assert float(proximal_term(net, task.anchor)) == pytest.approx(0.5 * 4.0)
    assert task.loss(out, y).item() == pytest.approx(RoutabilityTask().loss(out, y).item() + 0.5 * 2.0)
    assert task.monitor == "auc"  # everything but the loss is the wrapped task's


def test_personal_layers_are_never_sent_and_stay_on_the_client(runner, model_cfg):
    replies: dict[int, Message] = {}
    grid = InProcessGrid(_recording_app(runner, replies), num_clients=3)
    net = build_module(model_cfg, 0).net
    initial, _ = _start(grid, net, personal=PERSONAL, rounds=2)
    assert "head.weight" not in initial and not any(".norm." in k for k in initial)
    for reply in replies.values():
        sent = set(reply.content["arrays"])
        assert sent == set(initial)
        assert not [k for k in sent if any(fnmatchcase(k, p) for p in PERSONAL)]
    heads = [grid.contexts[n].state["m.local"]["head.weight"].numpy() for n in (1, 2, 3)]
    assert not np.allclose(heads[0], heads[1]), "each client keeps its own head"
    assert not np.allclose(heads[0], net.state_dict()["head.weight"].numpy())


def test_only_parameters_and_metrics_leave_a_client(runner, model_cfg):
    grid = InProcessGrid(build_client_app(runner), num_clients=3)
    net = build_module(model_cfg, 0).net
    keys = shared_keys(net)
    config = ConfigRecord({"method": "m", "personal-layers": [], "local-epochs": 1})
    message = Message(
        RecordDict({"arrays": shared_arrays(net, keys), "config": config}),
        dst_node_id=1,
        message_type="train",
    )
    (reply,) = grid.send_and_receive([message])
    content = reply.content
    assert list(content.array_records) == ["arrays"] and list(content.metric_records) == ["metrics"]
    assert not content.config_records
    assert list(content["arrays"]) == keys
    assert set(content["metrics"]) == {"num-examples", "train-loss"}
    evaluate = Message(
        RecordDict({"arrays": shared_arrays(net, keys), "config": ConfigRecord({**config, "split": "test"})}),
        dst_node_id=2,
        message_type="evaluate",
    )
    (scored,) = grid.send_and_receive([evaluate])
    assert not scored.content.array_records and not scored.content.config_records
    assert set(scored.content["metrics"]) == {"num-examples", "partition-id", "auc", "pr-auc", "loss"}


def test_server_app_runs_every_method_and_scores_every_client(runner, model_cfg):
    plan = FederationPlan(
        methods=[
            FederatedMethod("fedavg"),
            FederatedMethod("fedprox", proximal_mu=0.1),
            FederatedMethod("personal", personal_layers=PERSONAL, finetune_epochs=1),
        ],
        model_cfg=model_cfg,
        client_names=runner.data.client_names,
        num_rounds=1,
    )
    simulate(build_server_app(plan), build_client_app(runner), 3, backend="inprocess")
    assert list(plan.results) == ["fedavg", "fedprox", "personal"]
    for result in plan.results.values():
        assert set(result["clients"]) == {"client0", "client1", "client2"}
        assert all(0.0 <= s["auc"] <= 1.0 for s in result["clients"].values())
        assert sorted(result["val_rounds"]) == [1]
    assert plan.results["personal"]["shared_tensors"] < plan.results["fedavg"]["shared_tensors"]


def test_bad_personal_layer_pattern(model_cfg):
    net = build_module(model_cfg, 0).net
    with pytest.raises(ValueError, match=r"personal_layers \['classifier\.\*'\] match no tensor"):
        shared_keys(net, ["classifier.*"])
    with pytest.raises(ValueError, match="nothing would be shared"):
        shared_keys(net, ["*"])

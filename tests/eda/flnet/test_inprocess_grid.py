"""``InProcessGrid``'s round timeout: a client that misses the deadline is left out, the round goes on."""

from __future__ import annotations

import logging
import threading

import numpy as np
import pytest
from flwr.app import Array, ArrayRecord, ConfigRecord, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from nasforge.eda.flnet.federated import InProcessGrid, NoUsableRepliesError, RobustFedAvg


def _constant_app(stuck: threading.Event, slow_partition: int) -> ClientApp:
    """Partition ``p`` answers weights ``p + 1`` from ``10 (p + 1)`` examples; one waits for ``stuck``."""
    app = ClientApp()

    @app.train()
    def train(message, context):
        partition = int(context.node_config["partition-id"])
        if partition == slow_partition:
            stuck.wait(30)
        arrays = ArrayRecord({"w": Array(np.full(3, partition + 1.0, dtype=np.float32))})
        metrics = MetricRecord({"num-examples": 10 * (partition + 1)})
        return Message(RecordDict({"arrays": arrays, "metrics": metrics}), reply_to=message)

    return app


def test_a_client_past_the_round_timeout_is_dropped_and_logged(caplog):
    stuck = threading.Event()
    grid = InProcessGrid(_constant_app(stuck, slow_partition=1), num_clients=3)
    strategy = RobustFedAvg(min_train_nodes=3, min_available_nodes=3, fraction_evaluate=0.0)
    initial = ArrayRecord({"w": Array(np.zeros(3, dtype=np.float32))})
    try:
        with caplog.at_level(logging.WARNING, logger="nasforge"):
            result = strategy.start(
                grid, initial, num_rounds=1, timeout=0.5, train_config=ConfigRecord({"method": "m"})
            )
    finally:
        stuck.set()
    # on time: partition 0 (w=1, 10 examples) and partition 2 (w=3, 30 examples); partition 1 is not counted
    np.testing.assert_allclose(result.arrays["w"].numpy(), (1 * 10 + 3 * 30) / 40)
    assert "node 2 did not reply to 'train' within 0.5 s" in caplog.text


def test_replies_within_the_timeout_all_arrive():
    grid = InProcessGrid(_constant_app(threading.Event(), slow_partition=-1), num_clients=2)
    messages = [
        Message(RecordDict({"config": ConfigRecord({})}), dst_node_id=node, message_type="train")
        for node in grid.get_node_ids()
    ]
    replies = list(grid.send_and_receive(messages, timeout=30))
    assert sorted(r.metadata.src_node_id for r in replies) == [1, 2]
    assert [float(r.content["arrays"]["w"].numpy()[0]) for r in replies] == [1.0, 2.0]


def _diverged_app() -> ClientApp:
    """Every client answers NaN weights, as a client whose loss diverged does."""
    app = ClientApp()

    @app.train()
    def train(message, context):
        arrays = ArrayRecord({"w": Array(np.full(3, np.nan, dtype=np.float32))})
        return Message(
            RecordDict({"arrays": arrays, "metrics": MetricRecord({"num-examples": 10})}), reply_to=message
        )

    return app


def test_a_round_in_which_every_client_diverged_stops_the_run(caplog):
    grid = InProcessGrid(_diverged_app(), num_clients=2)
    strategy = RobustFedAvg(min_train_nodes=2, min_available_nodes=2, fraction_evaluate=0.0)
    initial = ArrayRecord({"w": Array(np.zeros(3, dtype=np.float32))})
    with (
        caplog.at_level(logging.WARNING, logger="nasforge"),
        pytest.raises(
            NoUsableRepliesError, match=r"round 1: all 2 replies were left out .*model.optimizer.lr"
        ),
    ):
        strategy.start(grid, initial, num_rounds=2, timeout=30, train_config=ConfigRecord({"method": "m"}))
    assert caplog.text.count("sent non-finite values") == 2

"""FedAvg and FedProx that never let a failed client touch the global weights.

Flower's strategies already drop replies that carry an error (a client that raised) and go on with the
others; a client that times out simply does not reply within the round's ``timeout``. What they would
still average is a reply that *looks* fine but holds NaN or infinite weights (a diverged client), which
would poison the global model for everyone. :class:`FiniteReplies` drops those too, and logs every
client it leaves out; a round in which no client's reply is left stops the run, since the global
weights would pass on unchanged and the report would show an untrained model as a result.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from flwr.app import ArrayRecord, Message, MetricRecord
from flwr.serverapp.strategy import FedAvg, FedProx

from nasforge.utils.pylogger import RankedLogger

__all__ = ["FiniteReplies", "NoUsableRepliesError", "RobustFedAvg", "RobustFedProx", "finite_replies"]

log = RankedLogger(__name__)


def finite_replies(replies: Iterable[Message], server_round: int) -> list[Message]:
    """The replies to aggregate: errors and replies with non-finite arrays are logged and left out."""
    kept = []
    for message in replies:
        node = message.metadata.src_node_id
        if message.has_error():
            log.warning(f"round {server_round}: node {node} failed and is left out: {message.error.reason}")
            continue
        bad = [
            key
            for record in message.content.array_records.values()
            for key, array in record.items()
            if not np.isfinite(array.numpy()).all()
        ]
        if bad:
            log.warning(f"round {server_round}: node {node} sent non-finite values in {bad[:3]}; left out")
            continue
        kept.append(message)
    return kept


class NoUsableRepliesError(RuntimeError):
    """A training round in which every client failed, diverged or missed the round's timeout."""


class FiniteReplies:
    """Mixin for a Flower message strategy: aggregate only the replies :func:`finite_replies` keeps,
    and stop when a training round keeps none."""

    def aggregate_train(
        self, server_round: int, replies: Iterable[Message]
    ) -> tuple[ArrayRecord | None, MetricRecord | None]:
        replies = list(replies)
        kept = finite_replies(replies, server_round)
        if not kept:
            what = f"all {len(replies)} replies were left out" if replies else "no client replied in time"
            raise NoUsableRepliesError(
                f"round {server_round}: {what} (each client's reason is logged above), so nothing can be "
                "averaged. A client whose loss diverged usually trains with too high a learning rate "
                "(model.optimizer.lr); a missing reply, past round_timeout."
            )
        return super().aggregate_train(server_round, kept)

    def aggregate_evaluate(self, server_round: int, replies: Iterable[Message]) -> MetricRecord | None:
        return super().aggregate_evaluate(server_round, finite_replies(replies, server_round))


class RobustFedAvg(FiniteReplies, FedAvg):
    """Flower's ``FedAvg`` (weighted by ``num-examples``) with :class:`FiniteReplies`."""


class RobustFedProx(FiniteReplies, FedProx):
    """Flower's ``FedProx`` (sends ``proximal-mu`` to clients) with :class:`FiniteReplies`."""

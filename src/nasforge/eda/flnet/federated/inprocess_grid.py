"""``InProcessGrid``: a Flower ``Grid`` that hands each message straight to a ``ClientApp`` in this process.

The same ``ServerApp`` and ``ClientApp`` run unchanged, only the transport differs: no Ray, no
SuperLink, clients one after another. It is what ``fast_dev_run`` smoke runs and unit tests use, where
starting Ray would cost more than the whole run. A client that raises answers with an error message,
exactly as under the simulation runtime. ``send_and_receive(..., timeout=t)`` gives each client's
handling ``t`` seconds in a worker thread: a reply that misses the deadline is dropped and logged, and
the round goes on with the others, as with Flower's grid. A thread cannot be killed, so a late client
finishes in the background and its reply is discarded.
"""

from __future__ import annotations

import threading
import traceback
import uuid
from collections.abc import Iterable

from flwr.app import Context, Error, Message, RecordDict
from flwr.clientapp import ClientApp
from flwr.serverapp import Grid
from flwr.supercore.run import Run
from flwr.supercore.task_identity import TaskIdentity

from nasforge.utils.pylogger import RankedLogger

__all__ = ["InProcessGrid"]

log = RankedLogger(__name__)

#: Flower's ``ErrorCode.CLIENT_APP_RAISED_EXCEPTION``
CLIENT_APP_RAISED_EXCEPTION = 2


class InProcessGrid(Grid):
    """Nodes ``1..num_clients``; node ``i`` has ``node_config["partition-id"] = i - 1`` and its own state.

    Args:
        client_app: the app every node runs.
        num_clients: number of nodes.
        run_id: the run id messages carry (default: 1).
    """

    def __init__(self, client_app: ClientApp, num_clients: int, run_id: int = 1) -> None:
        if num_clients < 1:
            raise ValueError(f"InProcessGrid: num_clients must be >= 1, got {num_clients}")
        self.client_app = client_app
        self.contexts = {
            node: Context(
                run_id=run_id,
                node_id=node,
                node_config={"partition-id": node - 1, "num-partitions": num_clients},
                state=RecordDict(),
                run_config={},
            )
            for node in range(1, num_clients + 1)
        }
        self._run = Run.create_empty(run_id=run_id)
        self._replies: dict[str, Message] = {}
        # the server's identity, which Message() stamps on every instruction
        TaskIdentity.run_id, TaskIdentity.task_id, TaskIdentity.node_id = run_id, 1, 0

    def set_run(self, run: Run) -> None:
        self._run = run

    @property
    def run(self) -> Run:
        return self._run

    def create_message(self, content, message_type, dst_node_id, group_id, ttl=None) -> Message:
        return Message(content, dst_node_id, message_type, ttl=ttl, group_id=group_id)

    def get_node_ids(self) -> Iterable[int]:
        return list(self.contexts)

    def _deliver(self, message: Message) -> Message:
        context = self.contexts[message.metadata.dst_node_id]
        try:
            return self.client_app(message, context)
        except Exception as error:  # a client failure becomes an error reply, as in Flower's runtime
            reason = f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=3)}"
            return Message(Error(code=CLIENT_APP_RAISED_EXCEPTION, reason=reason), reply_to=message)

    def _deliver_by(self, message: Message, timeout: float | None) -> Message | None:
        """The reply, or None when the node has not answered within ``timeout`` seconds."""
        if timeout is None:
            return self._deliver(message)
        reply: list[Message] = []
        node = message.metadata.dst_node_id
        worker = threading.Thread(
            target=lambda: reply.append(self._deliver(message)), name=f"inprocess-node-{node}", daemon=True
        )
        worker.start()
        worker.join(timeout)
        if not reply:
            log.warning(
                f"node {node} did not reply to '{message.metadata.message_type}' within {timeout:g} s; "
                "its reply is dropped and the round goes on without it"
            )
            return None
        return reply[0]

    def _push(self, messages: Iterable[Message], timeout: float | None) -> list[str]:
        ids = []
        for message in messages:
            if message.metadata.dst_node_id not in self.contexts:
                raise ValueError(
                    f"InProcessGrid: no node {message.metadata.dst_node_id}; nodes: {list(self.contexts)}"
                )
            key = uuid.uuid4().hex
            reply = self._deliver_by(message, timeout)
            if reply is not None:
                self._replies[key] = reply
            ids.append(key)
        return ids

    def push_messages(self, messages: Iterable[Message]) -> Iterable[str]:
        return self._push(messages, timeout=None)

    def pull_messages(self, message_ids: Iterable[str]) -> Iterable[Message]:
        return [self._replies.pop(key) for key in message_ids if key in self._replies]

    def send_and_receive(
        self, messages: Iterable[Message], *, timeout: float | None = None
    ) -> Iterable[Message]:
        return self.pull_messages(self._push(messages, timeout))

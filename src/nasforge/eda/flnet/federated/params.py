"""Which of a network's tensors a federated client shares, and moving them in and out of records."""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase

import torch
from flwr.app import Array, ArrayRecord
from torch import nn

__all__ = ["load_arrays", "shared_arrays", "shared_keys"]


def shared_keys(net: nn.Module, personal_layers: Sequence[str] = ()) -> list[str]:
    """State-dict keys that leave the client: all but those matching a ``personal_layers`` pattern.

    Patterns are shell-style (``"head.*"``, ``"*.norm.*"``). BatchNorm's ``num_batches_tracked``
    counter is never shared: it is an integer step count, not a weight to average.
    """
    keys = [k for k in net.state_dict() if not k.endswith("num_batches_tracked")]
    shared = [k for k in keys if not any(fnmatchcase(k, p) for p in personal_layers)]
    unmatched = [p for p in personal_layers if not any(fnmatchcase(k, p) for k in keys)]
    if unmatched:
        raise ValueError(
            f"personal_layers {unmatched} match no tensor of {type(net).__name__}; its keys are "
            f"{keys[:8]}{' ...' if len(keys) > 8 else ''}"
        )
    if not shared:
        raise ValueError(
            f"personal_layers {list(personal_layers)} keep every tensor local; nothing would be shared"
        )
    return shared


def shared_arrays(net: nn.Module, keys: Sequence[str]) -> ArrayRecord:
    """The tensors ``keys`` of ``net`` as an ``ArrayRecord`` (copied to CPU numpy)."""
    state = net.state_dict()
    return ArrayRecord({key: Array(state[key].detach().cpu().numpy()) for key in keys})


def load_arrays(net: nn.Module, arrays: ArrayRecord) -> None:
    """Copy ``arrays`` into the matching tensors of ``net``; every key must exist with its shape."""
    state = net.state_dict()
    for key, array in arrays.items():
        if key not in state:
            raise ValueError(f"{type(net).__name__} has no tensor '{key}' (received from the server)")
        value = torch.from_numpy(array.numpy())
        if value.shape != state[key].shape:
            raise ValueError(
                f"{type(net).__name__}.{key}: received shape {tuple(value.shape)}, "
                f"expected {tuple(state[key].shape)}"
            )
        state[key].copy_(value)

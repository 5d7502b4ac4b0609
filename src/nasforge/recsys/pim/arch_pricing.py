"""PIM cost of a CTR network, whose NASRec blocks may carry their own hardware settings.

A CTR network is traced on example inputs (its datamodule's ``example_inputs()``) and priced by
:mod:`nasforge.core.hardware`. The cost model prices layers by name; a block's ``pim`` gene becomes
per-layer overrides: every weight product of block ``i`` (``blocks.<i>.*``) gets all five settings,
and the work a block does without a weight of its own (dot-product and attention interactions,
normalisation, activations, traced as ``bmm#3``, ``layer_norm#7``, ...) gets its bits. That work is
assigned by execution order: blocks run one after another and every operator starts with a weight
product, so an unnamed entry belongs to the block of the last weight product before it. The
embeddings before the first block and the head after the last keep the profile's defaults, as they
do in every other model.

A float network is priced, never a fake-quantised one: the rounding that emulates fixed-point
arithmetic in training is not work the chip does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from nasforge.core.arch import Arch
from nasforge.core.hardware import HardwareProfile, PIMReport, price_workload
from nasforge.core.workload import Workload, trace_workload
from nasforge.recsys.nasrec.network import NASRecNet
from nasforge.recsys.nasrec.supernet import NASRecSupernet

__all__ = ["block_overrides", "block_settings", "price_network", "pricing_network"]

_BLOCK_LAYER = re.compile(r"blocks\.(\d+)\.")
# the settings that apply to work without a stationary weight (it runs on the digital unit)
_DIGITAL_KEYS = ("weight_bits", "activation_bits")


def block_settings(arch: Arch) -> list[dict[str, Any]] | None:
    """Each block's ``pim`` gene, or ``None`` for an architecture without them (a plain NASRec one)."""
    blocks = arch.genes["blocks"]
    if not all("pim" in block for block in blocks):
        return None
    return [dict(block["pim"]) for block in blocks]


def block_overrides(workload: Workload, settings: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per-entry overrides of :func:`~nasforge.core.hardware.pim_report` from per-block ``settings``
    (see the module docstring for which entries a block owns)."""
    overrides: dict[str, dict[str, Any]] = {}
    owner: int | None = None
    for entry in workload:
        match = _BLOCK_LAYER.match(entry.name)
        if match:
            owner = int(match.group(1))
            overrides[entry.name] = dict(settings[owner])
        elif entry.weight is not None:
            owner = None  # a layer outside the blocks (embeddings, head): the profile's defaults
        elif owner is not None:
            overrides[entry.name] = {key: settings[owner][key] for key in _DIGITAL_KEYS}
    return overrides


def price_network(
    net: nn.Module,
    example_inputs: Sequence[Tensor],
    arch: Arch | None = None,
    profile: HardwareProfile | str | Path = "conservative",
) -> PIMReport:
    """The :class:`~nasforge.core.hardware.PIMReport` of a CTR network on ``example_inputs`` (one
    sample: the datamodule's ``example_inputs()``), its blocks at the settings of ``arch``'s ``pim``
    genes when it has them, everything else at the profile's defaults."""
    device = next(net.parameters()).device
    inputs = [x.to(device) for x in example_inputs]
    workload = trace_workload(net, *inputs)
    settings = block_settings(arch) if arch is not None else None
    overrides = block_overrides(workload, settings) if settings else None
    return price_workload(workload, profile, overrides)


@torch.no_grad()
def pricing_network(supernet: NASRecSupernet, arch: Arch) -> NASRecNet:
    """A float :class:`~nasforge.recsys.nasrec.NASRecNet` of ``arch`` for pricing: built on the meta
    device, then given the supernet's embedding module (shared, never copied: the tables are the size
    of the data) and zero block and head weights on the supernet's device (costs depend on shapes)."""
    with torch.device("meta"):
        net = NASRecNet(arch, **supernet.network_kwargs())
    device = supernet.head.weight.device
    net.embedding = supernet.embedding
    for module in (net.blocks, net.head):
        module.to_empty(device=device)
        for tensor in module.parameters():
            tensor.zero_()
    net.dot_pairs = supernet.dot_pairs
    return net

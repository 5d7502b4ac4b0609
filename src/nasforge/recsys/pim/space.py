"""The PIM co-design space: NASRec blocks, each with its hardware settings on a ReRAM-crossbar chip.

An architecture is a NASRec architecture whose every block also carries a ``pim`` gene::

    {"weight_bits": 4, "activation_bits": 8, "crossbar_size": 128, "adc_bits": 6, "placement": "crossbar"}

The bits set the precision the quantisation-aware supernet trains and scores the block at, and with
the crossbar size, ADC resolution and placement (crossbars or the digital unit) what the cost model
charges for the block's layers (see :func:`nasforge.recsys.pim.arch_pricing.block_settings`). A block
on the digital unit uses no crossbar, so its crossbar size and ADC resolution are held at the first
choices: one network, one encoding, and a search never evaluates or retrains it twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from nasforge.core.arch import Arch, check_arch, genes_list, thaw
from nasforge.core.hardware.settings import PLACEMENTS
from nasforge.recsys.nasrec.block_checks import gene_problems, object_problems
from nasforge.recsys.nasrec.canonical import block_uses, canonical_blocks
from nasforge.recsys.nasrec.mutations import MUTATION_KINDS, mutate_block
from nasforge.recsys.nasrec.space import NASRecSpace

__all__ = ["CROSSBAR_ONLY_KEYS", "PIM_DEFAULTS", "PIM_KEYS", "PIMSpace"]

#: the keys of a block's ``pim`` gene and their default choices
PIM_DEFAULTS: dict[str, tuple[Any, ...]] = {
    "weight_bits": (2, 4, 8),
    "activation_bits": (4, 8),
    "crossbar_size": (64, 128, 256),
    "adc_bits": (4, 6, 8),
    "placement": PLACEMENTS["weight_matmul"],
}
PIM_KEYS = tuple(PIM_DEFAULTS)
#: settings that only a block on crossbars uses
CROSSBAR_ONLY_KEYS = ("crossbar_size", "adc_bits")
# NASRec attributes the networks and samplers read from a space; a PIM space answers with its base's
_BASE_ATTRIBUTES = frozenset(
    {"num_blocks", "dense_ops", "sparse_ops", "dense_widths", "sparse_widths", "max_inputs", "connection_k"}
)


class PIMSpace:
    """A :class:`~nasforge.recsys.nasrec.NASRecSpace` whose blocks also choose their PIM settings.

    Sampling draws the NASRec genes as the base space does, then each block's settings uniformly.
    A mutation changes either the NASRec genes (one of :data:`~nasforge.recsys.nasrec.MUTATION_KINDS`)
    or one setting of one block, each of the five kinds equally likely. A block on the digital unit
    keeps :data:`CROSSBAR_ONLY_KEYS` at their first choices (:meth:`canonical_settings`). The name is
    ``pim-<base name>`` with the default choices, else with a digest of them, so architectures and
    histories of different spaces never mix.

    Args:
        base: the NASRec space of the blocks.
        weight_bits: weight precision choices (default: ``(2, 4, 8)``).
        activation_bits: activation precision choices (default: ``(4, 8)``).
        crossbar_size: crossbar size choices (default: ``(64, 128, 256)``).
        adc_bits: ADC resolution choices (default: ``(4, 6, 8)``).
        placement: where a block's weight products may run (default: ``("crossbar", "digital")``).
    """

    version = 2

    def __init__(
        self,
        base: NASRecSpace,
        weight_bits: Sequence[int] = PIM_DEFAULTS["weight_bits"],
        activation_bits: Sequence[int] = PIM_DEFAULTS["activation_bits"],
        crossbar_size: Sequence[int] = PIM_DEFAULTS["crossbar_size"],
        adc_bits: Sequence[int] = PIM_DEFAULTS["adc_bits"],
        placement: Sequence[str] = PIM_DEFAULTS["placement"],
    ) -> None:
        if not isinstance(base, NASRecSpace):
            raise TypeError(f"PIMSpace: base must be a NASRecSpace, got {type(base).__name__}")
        self.base = base
        given = (weight_bits, activation_bits, crossbar_size, adc_bits, placement)
        self.choices = {key: tuple(values) for key, values in zip(PIM_KEYS, given, strict=True)}
        self._check_choices()
        digest = hashlib.sha1(json.dumps(self.pim_config, sort_keys=True).encode()).hexdigest()[:8]
        default = self.choices == PIM_DEFAULTS
        self.name = f"pim-{base.name}" if default else f"pim-{base.name}-{digest}"

    def __getattr__(self, name: str) -> Any:
        if name in _BASE_ATTRIBUTES:
            return getattr(self.base, name)
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    @property
    def pim_config(self) -> dict[str, list[Any]]:
        """The choices of the ``pim`` genes, as JSON data."""
        return {key: list(values) for key, values in self.choices.items()}

    def __repr__(self) -> str:
        return f"PIMSpace(name={self.name!r}, base={self.base.name!r}, {self.pim_config})"

    def sample(self, rng: np.random.Generator) -> Arch:
        """A NASRec architecture of the base space, then uniform settings for every block."""
        blocks = thaw(self.base.sample(rng).genes)["blocks"]
        for block in blocks:
            block["pim"] = self.sample_settings(rng)
        return Arch(self.name, self.version, {"blocks": blocks})

    def sample_settings(self, rng: np.random.Generator) -> dict[str, Any]:
        """One block's ``pim`` gene, each setting drawn uniformly (then made canonical)."""
        drawn = {key: values[int(rng.integers(len(values)))] for key, values in self.choices.items()}
        return self.canonical_settings(drawn)

    def canonical_settings(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """``settings`` with the crossbar-only keys of a digital block at their first choices."""
        if settings.get("placement") != "digital":
            return dict(settings)
        return {**settings, **{key: self.choices[key][0] for key in CROSSBAR_ONLY_KEYS}}

    def mutate(self, arch: Arch, rng: np.random.Generator, num_mutations: int = 1) -> Arch:
        """Apply ``num_mutations`` (at least one) changes; the result is valid and differs from ``arch``."""
        self.validate(arch)
        original = thaw(arch.genes)["blocks"]
        blocks = thaw(arch.genes)["blocks"]
        kinds = (*MUTATION_KINDS, "pim")
        done = 0
        while done < max(1, num_mutations) or blocks == original:
            kind = kinds[int(rng.integers(len(kinds)))]
            index = int(rng.integers(self.num_blocks))
            if kind == "pim":
                done += self._mutate_settings(blocks[index]["pim"], rng)
            else:
                done += mutate_block(self.base, kind, blocks, index, rng)
        return arch.with_genes({"blocks": blocks})

    def canonical(self, arch: Arch) -> Arch:
        """The base space's canonical form of the NASRec genes (see
        :meth:`~nasforge.recsys.nasrec.NASRecSpace.canonical`), and the first settings for a block no
        later block reads: one architecture per computed function and hardware mapping."""
        self.validate(arch)
        blocks = thaw(arch.genes)["blocks"]
        nasrec_blocks = [{key: value for key, value in b.items() if key != "pim"} for b in blocks]
        canonical = canonical_blocks(
            nasrec_blocks,
            self.base.dense_ops,
            self.base.sparse_ops,
            self.base.dense_widths,
            self.base.sparse_widths,
        )
        unread = self.canonical_settings({key: values[0] for key, values in self.choices.items()})
        for block, original, use in zip(canonical, blocks, block_uses(nasrec_blocks), strict=True):
            block["pim"] = original["pim"] if use.dense_out or use.sparse_out else dict(unread)
        return arch.with_genes({"blocks": canonical})

    def validate(self, arch: Arch) -> None:
        """Raise :class:`~nasforge.core.arch.InvalidArchError` listing every problem of ``arch``."""
        check_arch(self, arch, self._problems(arch.genes))

    def encode(self, arch: Arch) -> np.ndarray:
        """The base space's encoding, then per block each setting's choice index scaled to ``[0, 1]``."""
        self.validate(arch)
        parts = [self.base.encode(self.base_arch(arch))]
        for block in arch.genes["blocks"]:
            parts.append(
                [
                    values.index(block["pim"][key]) / max(1, len(values) - 1)
                    for key, values in self.choices.items()
                ]
            )
        return np.concatenate(parts).astype(np.float32)

    @property
    def encoding_size(self) -> int:
        return self.base.encoding_size + self.num_blocks * len(PIM_KEYS)

    def base_arch(self, arch: Arch) -> Arch:
        """``arch`` without its ``pim`` genes: an architecture of the base NASRec space."""
        blocks = [{k: v for k, v in block.items() if k != "pim"} for block in thaw(arch.genes)["blocks"]]
        return Arch(self.base.name, self.base.version, {"blocks": blocks})

    def sample_sources(self, index: int, rng: np.random.Generator) -> list[int]:
        """A connection list of block ``index``, as the base space draws it."""
        return self.base.sample_sources(index, rng)

    def _mutate_settings(self, settings: dict[str, Any], rng: np.random.Generator) -> int:
        unused = CROSSBAR_ONLY_KEYS if settings["placement"] == "digital" else ()
        options = [
            (k, v)
            for k, values in self.choices.items()
            if k not in unused
            for v in values
            if v != settings[k]
        ]
        if not options:
            return 0
        key, value = options[int(rng.integers(len(options)))]
        settings[key] = value
        settings.update(self.canonical_settings(settings))
        return 1

    def _problems(self, genes: Any) -> Iterator[str]:
        blocks, problems = genes_list(genes, "blocks")
        if blocks is None:
            yield from problems
            return
        nasrec_blocks = []
        for index, block in enumerate(blocks):
            if not isinstance(block, Mapping):
                nasrec_blocks.append(block)  # the base's checks report it
                continue
            nasrec_blocks.append({k: v for k, v in block.items() if k != "pim"})
            yield from self._settings_problems(f"genes.blocks[{index}].pim", block.get("pim"))
        yield from gene_problems({"blocks": tuple(nasrec_blocks)}, self.base.config)

    def _settings_problems(self, where: str, settings: Any) -> Iterator[str]:
        if not isinstance(settings, Mapping):
            yield f"{where} = {settings!r:.80}, expected an object with keys {list(PIM_KEYS)}"
            return
        problems = list(object_problems(where, settings, PIM_KEYS, self.choices))
        yield from problems
        if not problems and settings != self.canonical_settings(settings):
            first = {key: self.choices[key][0] for key in CROSSBAR_ONLY_KEYS}
            yield (
                f"{where}: a block on the digital unit uses no crossbar; set {first} (the first choices), "
                "so that one network has one encoding"
            )

    def _check_choices(self) -> None:
        for key, values in self.choices.items():
            if key == "placement":
                ok, rule = (
                    all(v in PIM_DEFAULTS[key] for v in values),
                    f"choices from {list(PIM_DEFAULTS[key])}",
                )
            else:
                low = 2 if key in ("weight_bits", "activation_bits") else 1  # a sign and a magnitude
                ok = all(not isinstance(v, bool) and isinstance(v, int) and v >= low for v in values)
                rule = f"integers >= {low}"
            if not values or not ok or len(set(values)) != len(values):
                raise ValueError(f"PIMSpace: {key}={list(values)} must be distinct, non-empty {rule}")

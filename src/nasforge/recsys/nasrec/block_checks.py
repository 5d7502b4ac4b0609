"""Checks of NASRec genes: every problem of an architecture, one message each."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from nasforge.core.arch import genes_list
from nasforge.recsys.nasrec.choices import BINARY_DENSE_OPS, ZERO

__all__ = ["BLOCK_KEYS", "CONNECTION_KEYS", "gene_problems", "object_problems"]

#: Keys of one block's genes, in the order :func:`describe_arch` and the encoding use them.
BLOCK_KEYS = (
    "dense_op",
    "sparse_op",
    "dense_width",
    "sparse_width",
    "dense_left",
    "dense_right",
    "sparse_in",
    "dense_to_sparse",
    "sparse_to_dense",
)
#: The connection sets of a block; source ``0`` is the raw features, source ``s > 0`` block ``s``'s output.
CONNECTION_KEYS = ("dense_left", "dense_right", "sparse_in")


def gene_problems(genes: Any, choices: Mapping[str, Any]) -> Iterator[str]:
    """Yield one message per problem of ``genes`` against the constructor keywords ``choices``."""
    blocks, problems = genes_list(genes, "blocks")
    if blocks is None:
        yield from problems
        return
    if len(blocks) != choices["num_blocks"]:
        yield f"genes.blocks has {len(blocks)} blocks, expected {choices['num_blocks']}"
    for index, block in enumerate(blocks):
        yield from _block_problems(index, block, choices)


def object_problems(
    where: str, genes: Mapping[str, Any], keys: Sequence[str], allowed: Mapping[str, Sequence[Any]]
) -> Iterator[str]:
    """Missing and unknown keys of the gene object ``genes`` at ``where``, and values of ``allowed``'s
    keys that are not among their choices (of the same type: ``True`` is not ``1``)."""
    for key in keys:
        if key not in genes:
            yield f"{where} misses key '{key}'"
    for key in sorted(set(genes) - set(keys)):
        yield f"{where} has unknown key '{key}' (allowed: {', '.join(keys)})"
    for key, choices in allowed.items():
        value = genes.get(key)
        if key in genes and (type(value) is not type(choices[0]) or value not in choices):
            yield f"{where}.{key} = {value!r} is not one of this space's choices {list(choices)}"


def _block_problems(index: int, block: Any, choices: Mapping[str, Any]) -> Iterator[str]:
    where = f"genes.blocks[{index}]"
    if not isinstance(block, Mapping):
        yield f"{where} must be an object with keys {list(BLOCK_KEYS)}, got {type(block).__name__}"
        return
    allowed = {key: choices[f"{key}s"] for key in ("dense_op", "sparse_op", "dense_width", "sparse_width")}
    yield from object_problems(where, block, BLOCK_KEYS, allowed)
    for key in ("dense_to_sparse", "sparse_to_dense"):
        if key in block and not isinstance(block[key], bool):
            yield f"{where}.{key} = {block[key]!r}, expected true or false"
    if block.get("dense_op") == ZERO and block.get("sparse_op") == ZERO:
        yield f"{where} has both operators zero; a block computes something on at least one side"
    binary = block.get("dense_op") in BINARY_DENSE_OPS
    for key in CONNECTION_KEYS:
        if key in block:
            optional = key == "dense_right" and not binary
            yield from _connection_problems(f"{where}.{key}", block[key], index, choices, optional)
    if "dense_right" in block and not binary and block["dense_right"]:
        op = block.get("dense_op")
        binary_ops = sorted(BINARY_DENSE_OPS)
        yield f"{where}.dense_right must be empty: dense_op {op!r} is unary (binary: {binary_ops})"


def _connection_problems(
    where: str, sources: Any, index: int, choices: Mapping[str, Any], optional: bool
) -> Iterator[str]:
    if not isinstance(sources, tuple) or any(isinstance(s, bool) or not isinstance(s, int) for s in sources):
        yield f"{where} = {sources!r}, expected a list of source indices"
        return
    if not sources and not optional:
        yield f"{where} is empty; a block needs at least one input (0 = raw features, s = block s)"
    if len(sources) > choices["max_inputs"]:
        yield f"{where} has {len(sources)} inputs, at most {choices['max_inputs']} allowed (max_inputs)"
    if list(sources) != sorted(set(sources)):
        yield f"{where} = {list(sources)} must be sorted and without repeats"
    for source in sources:
        if source < 0:
            yield f"{where} has source {source}; sources are 0 (raw features) or an earlier block 1..{index}"
        elif source > index:
            yield (
                f"{where} connects to block {source}, which is not earlier than block {index + 1}; "
                f"allowed sources are 0..{index}"
            )

"""One NASRec architecture per computed function: the canonical form keeps what the head reads."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nasforge.core.arch import Arch, thaw
from nasforge.core.history import History
from nasforge.core.search import RegularizedEvolution, run_search
from nasforge.recsys.nasrec import NASRecSupernet, full_space, small_space
from nasforge.recsys.nasrec.canonical import block_uses
from nasforge.recsys.pim import PIMSpace, PIMSupernet

VOCAB = [7, 5, 9, 4, 6]


def tiny_full():
    return full_space(num_blocks=4, dense_widths=(8, 16, 32), sparse_widths=(4, 8))


def inputs(rows: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    sparse = torch.stack([torch.randint(0, v, (rows,), generator=g) for v in VOCAB], dim=1)
    return torch.randn(rows, 3, generator=g), sparse


def chain(space, **last) -> Arch:
    """fc blocks, each reading the one before; only the last block's sparse side is read (by the head),
    and no merge."""
    blocks = [
        {
            "dense_op": "fc",
            "sparse_op": "efc",
            "dense_width": 8,
            "sparse_width": 4,
            "dense_left": [i],
            "dense_right": [],
            "sparse_in": [0],
            "dense_to_sparse": False,
            "sparse_to_dense": False,
        }
        for i in range(space.num_blocks)
    ]
    blocks[-1].update(last)
    return Arch(space.name, space.version, {"blocks": blocks})


@pytest.mark.parametrize(
    ("space", "supernet_class"),
    [
        (tiny_full(), NASRecSupernet),
        (small_space(num_blocks=3, dense_widths=(8, 16)), NASRecSupernet),
        (PIMSpace(tiny_full()), PIMSupernet),  # quantised at each block's settings
    ],
    ids=["full", "small", "pim"],
)
def test_the_canonical_form_computes_what_the_architecture_computes(space, supernet_class):
    torch.manual_seed(0)
    supernet = supernet_class(space, 3, VOCAB, embedding_dim=8).eval()
    dense, sparse = inputs()
    rng = np.random.default_rng(0)
    changed = 0
    for _ in range(30):
        arch = space.sample(rng)
        canonical = space.canonical(arch)
        space.validate(canonical)
        assert space.canonical(canonical) == canonical
        changed += canonical != arch
        with torch.no_grad():
            assert torch.allclose(
                supernet(dense, sparse, canonical), supernet(dense, sparse, arch), atol=1e-6
            )
    assert changed > 8  # random draws carry unread genes often


def test_unread_genes_do_not_change_the_canonical_form_and_read_ones_do():
    space = tiny_full()
    base = chain(space)
    uses = block_uses(base.genes["blocks"])
    assert [u.dense_out for u in uses] == [True] * 4
    assert [u.sparse_out for u in uses] == [u.sparse_op for u in uses] == [False, False, False, True]

    def variant(block: int, **genes) -> Arch:
        data = thaw(base.genes)
        data["blocks"][block].update(genes)
        return Arch(space.name, space.version, data)

    unread = [
        variant(0, sparse_op="attention", sparse_width=8, sparse_in=[0]),
        variant(2, sparse_in=[0, 1, 2], dense_to_sparse=True),
    ]
    read = [
        variant(0, dense_width=16),
        variant(3, sparse_to_dense=True),
        variant(3, dense_to_sparse=True),  # the head reads the last block's sparse rows
        variant(3, sparse_in=[0, 2], sparse_width=8),
        variant(2, dense_op="dot_product", sparse_in=[0, 1]),
        variant(1, dense_left=[0, 1]),
    ]
    for arch in unread:
        assert space.canonical(arch) == space.canonical(base)
    for arch in read:
        assert space.canonical(arch) != space.canonical(base)


def test_a_block_nobody_reads_gets_the_first_computing_operator_beside_a_zero_one():
    space = tiny_full()
    arch = chain(space, dense_left=[0, 2])  # block 3 is read by no one
    block = space.canonical(arch).genes["blocks"][2]
    assert (block["dense_op"], block["sparse_op"]) == ("zero", "efc")  # never both zero
    assert (block["dense_width"], block["sparse_width"]) == (8, 4)
    assert (tuple(block["dense_left"]), tuple(block["sparse_in"])) == ((0,), (0,))


def test_an_unread_side_beside_a_read_zero_operator_computes_something():
    space = tiny_full()
    data = thaw(chain(space).genes)
    # block 3's zero dense output is read by block 4, its attention rows by no one
    data["blocks"][2].update(dense_op="zero", sparse_op="attention", sparse_width=8)
    arch = Arch(space.name, space.version, data)
    third = space.canonical(arch).genes["blocks"][2]
    assert (third["dense_op"], third["sparse_op"], third["sparse_width"]) == ("zero", "efc", 4)
    space.validate(space.canonical(arch))


def test_a_search_evaluates_each_function_once(tmp_path):
    space = tiny_full()
    evaluated = []

    def evaluate(arch: Arch) -> dict[str, float]:
        evaluated.append(space.canonical(arch))
        # a score of the function alone, as a supernet's would be
        return {"score": int(space.canonical(arch).hash[:6], 16) / 16**6}

    strategy = RegularizedEvolution(population_size=6, sample_size=3, seed=0)
    history = run_search(
        space, strategy, evaluate, History(tmp_path / "h.jsonl"), 60, "score", progress=False
    )
    assert len(history) == len(evaluated) == 60 == len(set(evaluated))

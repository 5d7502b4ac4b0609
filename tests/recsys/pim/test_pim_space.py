"""The PIM co-design space: sampling, mutation, validation, encoding, names."""

from __future__ import annotations

import numpy as np
import pytest

from nasforge.core.arch import Arch, InvalidArchError, thaw
from nasforge.recsys.nasrec import full_space
from nasforge.recsys.pim import PIM_KEYS, PIMSpace


def tiny_space(**choices) -> PIMSpace:
    return PIMSpace(full_space(num_blocks=3, dense_widths=(8, 16), sparse_widths=(4, 8)), **choices)


def test_samples_and_mutants_are_valid_and_cover_every_setting():
    space, rng = tiny_space(), np.random.default_rng(0)
    seen = {key: set() for key in PIM_KEYS}
    for _ in range(40):
        arch = space.sample(rng)
        space.validate(arch)
        child = space.mutate(arch, rng, num_mutations=2)
        space.validate(child)
        assert child != arch
        for block in arch.genes["blocks"]:
            for key in PIM_KEYS:
                seen[key].add(block["pim"][key])
        assert space.encode(arch).shape == (space.encoding_size,)
    assert {key: sorted(values) for key, values in seen.items()} == {
        key: sorted(values) for key, values in space.pim_config.items()
    }


def test_mutation_changes_the_pim_genes_too():
    space, rng = tiny_space(), np.random.default_rng(1)
    arch = space.sample(rng)
    changed_pim = changed_nasrec = 0
    for _ in range(30):
        child = space.mutate(arch, rng)
        changed_pim += space.base_arch(child) == space.base_arch(arch)
        changed_nasrec += space.base_arch(child) != space.base_arch(arch)
    assert changed_pim and changed_nasrec


def test_digital_blocks_have_one_encoding():
    space, rng = tiny_space(), np.random.default_rng(3)
    first = {"crossbar_size": 64, "adc_bits": 4}
    digital = 0
    for _ in range(30):
        arch = space.mutate(space.sample(rng), rng, num_mutations=3)
        for block in arch.genes["blocks"]:
            if block["pim"]["placement"] == "digital":
                digital += 1
                assert {key: block["pim"][key] for key in first} == first
    assert digital
    genes = thaw(arch.genes)
    genes["blocks"][0]["pim"].update(placement="digital", crossbar_size=256, adc_bits=4)
    with pytest.raises(
        InvalidArchError, match=r"blocks\[0\].pim: a block on the digital unit uses no crossbar"
    ):
        space.validate(Arch(space.name, space.version, genes))


def test_validate_lists_every_problem():
    space = tiny_space()
    genes = thaw(space.sample(np.random.default_rng(2)).genes)
    genes["blocks"][0]["pim"]["weight_bits"] = 3
    genes["blocks"][1]["pim"]["placement"] = "gpu"
    del genes["blocks"][2]["pim"]["adc_bits"]
    genes["blocks"][2]["pim"]["dac_bits"] = 1
    genes["blocks"][2]["dense_width"] = 1000
    with pytest.raises(InvalidArchError) as error:
        space.validate(Arch(space.name, space.version, genes))
    message = str(error.value)
    for expected in (
        "genes.blocks[0].pim.weight_bits = 3 is not one of this space's choices [2, 4, 8]",
        "genes.blocks[1].pim.placement = 'gpu'",
        "genes.blocks[2].pim misses key 'adc_bits'",
        "genes.blocks[2].pim has unknown key 'dac_bits'",
        "genes.blocks[2].dense_width = 1000",
    ):
        assert expected in message, message
    del genes["blocks"][0]["pim"]
    with pytest.raises(InvalidArchError, match=r"genes.blocks\[0\].pim = None, expected an object"):
        space.validate(Arch(space.name, space.version, genes))


def test_names_differ_by_choices_and_from_the_base_space():
    base = tiny_space()
    assert base.name == f"pim-{base.base.name}"
    narrow = tiny_space(weight_bits=(4, 8))
    assert narrow.name != base.name and narrow.name.startswith(f"pim-{base.base.name}-")
    nasrec_arch = base.base.sample(np.random.default_rng(0))
    with pytest.raises(InvalidArchError, match="space is 'nasrec-full"):
        base.validate(nasrec_arch)
    assert base.base_arch(base.sample(np.random.default_rng(0))).space == base.base.name


@pytest.mark.parametrize(
    ("key", "values", "match"),
    [
        ("weight_bits", (1, 4), r"weight_bits=\[1, 4\] must be distinct, non-empty integers >= 2"),
        ("crossbar_size", (), r"crossbar_size=\[\] must be"),
        ("placement", ("crossbar", "gpu"), r"placement=.*choices from \['crossbar', 'digital'\]"),
        ("adc_bits", (4, 4), r"adc_bits=\[4, 4\] must be distinct"),
    ],
)
def test_bad_choices_are_rejected(key, values, match):
    with pytest.raises(ValueError, match=match):
        tiny_space(**{key: values})

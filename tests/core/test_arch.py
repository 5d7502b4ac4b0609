from __future__ import annotations

import json
import pickle
import subprocess
import sys

import numpy as np
import pytest
from toy_space import IntVectorSpace

from nasforge.core.arch import Arch, FrozenDict, InvalidArchError, SearchSpace, thaw

GENES = {"blocks": [{"op": "fc", "width": 64}, {"op": "dot", "inputs": [0, 1]}], "merge": True}


def test_round_trip_through_dict_json_and_file(tmp_path):
    arch = Arch("nasrec_small", 2, GENES)
    assert Arch.from_dict(arch.to_dict()) == arch
    assert Arch.from_json(arch.to_json()) == arch
    loaded = Arch.load(arch.save(tmp_path / "sub" / "best_arch.json"))
    assert loaded == arch and loaded.hash == arch.hash
    assert thaw(loaded.genes) == GENES


def test_hash_is_a_stable_regression_value_and_ignores_key_order():
    arch = Arch("nasrec_small", 2, GENES)
    assert arch.hash == "4153bd5c9cf7"
    reordered = Arch("nasrec_small", 2, {"merge": True, "blocks": GENES["blocks"]})
    assert reordered == arch and hash(reordered) == hash(arch)
    code = "from nasforge.core.arch import Arch; import json, sys; print(Arch.from_json(sys.argv[1]).hash)"
    out = subprocess.run([sys.executable, "-c", code, arch.to_json()], capture_output=True, text=True)
    assert out.stdout.strip() == arch.hash  # the same in a fresh process (another hash seed)


def test_arch_survives_pickling_for_worker_processes():
    arch = Arch("nasrec_small", 2, GENES)
    clone = pickle.loads(pickle.dumps(arch))
    assert clone == arch and clone.hash == arch.hash and hash(clone) == hash(arch)


def test_equality_follows_the_json_not_python():
    assert Arch("s", 1, {"w": 1}) != Arch("s", 1, {"w": 1.0})
    assert Arch("s", 1, {"w": 1}) != Arch("s", 1, {"w": True})
    assert Arch("s", 1, [1, 2]) == Arch("s", 1, (1, 2))
    assert Arch("s", 1, {"w": 1}) != Arch("s", 2, {"w": 1})
    assert len({Arch("s", 1, {"a": [1]}), Arch("s", 1, {"a": (1,)})}) == 1


def test_arch_is_immutable_and_numpy_values_are_converted():
    arch = Arch("s", 1, {"values": np.arange(3), "scale": np.float32(0.5)})
    assert arch.genes["values"] == (0, 1, 2) and type(arch.genes["values"][0]) is int
    assert isinstance(arch.genes, FrozenDict)
    with pytest.raises(AttributeError):
        arch.space = "other"
    with pytest.raises(TypeError):
        arch.genes["values"] = 3


@pytest.mark.parametrize(
    ("genes", "needle"),
    [
        ({"w": float("nan")}, "genes.w is nan"),
        ({"w": {1, 2}}, "genes.w has type set"),
        ({1: "a"}, "non-string keys"),
        ({"blocks": [{"op": object()}]}, "genes.blocks[0].op has type object"),
    ],
)
def test_genes_that_json_cannot_hold_are_refused(genes, needle):
    with pytest.raises(InvalidArchError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        Arch("s", 1, genes)


def test_bad_files_name_the_file_and_the_problem(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"space": "s", "version": 1, "genes": [1, 2')
    with pytest.raises(InvalidArchError, match=r"broken\.json.*not valid JSON.*line 1"):
        Arch.load(broken)
    incomplete = tmp_path / "incomplete.json"
    incomplete.write_text(json.dumps({"space": "s", "genes": [], "colour": "red"}))
    with pytest.raises(InvalidArchError) as err:
        Arch.load(incomplete)
    assert err.value.source == str(incomplete)
    assert "missing key 'version'" in str(err.value) and "unknown key 'colour'" in str(err.value)
    wrong_types = tmp_path / "types.json"
    wrong_types.write_text(json.dumps({"space": "", "version": "2", "genes": []}))
    with pytest.raises(InvalidArchError, match=r"types\.json.*2 problems") as err:
        Arch.load(wrong_types)
    assert "non-empty string" in str(err.value) and "non-negative integer" in str(err.value)
    with pytest.raises(InvalidArchError, match="expected a JSON object"):
        Arch.from_json("[1, 2]")


def test_validate_lists_every_problem_and_names_the_expected_space():
    space = IntVectorSpace(length=3, choices=2)
    assert isinstance(space, SearchSpace)
    with pytest.raises(InvalidArchError) as err:
        space.validate(Arch("int_vector", 1, {"values": [0, 5, "x", 1]}))
    assert len(err.value.problems) == 3  # length, [1] out of range, [2] not an int
    with pytest.raises(InvalidArchError, match="space is 'other', expected 'int_vector'"):
        space.validate(Arch("other", 1, {"values": [0, 0, 0]}))
    with pytest.raises(InvalidArchError, match="version is 7, expected 1"):
        space.validate(Arch("int_vector", 7, {"values": [0, 0, 0]}))
    space.validate(space.sample(np.random.default_rng(0)))

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import numpy as np
import pytest
from toy_space import IntVectorSpace

from nasforge.core.arch import Arch, FrozenDict, InvalidArchError, SearchSpace, freeze, thaw

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


# Hashes of these archs, pinned: history files, best_arch.json and caches hold them, so they never
# change, whichever way an arch is built.
PINNED_HASHES = [
    ("nasrec_small", 2, GENES, "4153bd5c9cf7"),
    ("s", 1, {"w": 1}, "e9048edd0e8a"),
    ("s", 1, {"w": 1.0}, "e40b1369b607"),
    ("s", 1, {"w": True}, "9a180f68ab70"),
    ("s", 1, {"w": None}, "d35440799c05"),
    ("s", 0, [1, 2, [3, [4, []]]], "92441c4159a9"),
    ("s", 3, {}, "86554785e32e"),
    ("s", 1, "text", "994c7e8770b7"),
    ("s", 1, 12, "ec8308a549cd"),
    ("s", 1, -0.0, "64d05b2df4c1"),
    ("s", 1, {"x": 1e20, "y": 0.1, "z": -3.5e-7, "big": 2**70}, "b5c7e6088059"),
    ("s", 1, {"unicode": "héllo ☃", "keys": {"b": 1, "a": 2, "é": 3}}, "98ff44fe1e93"),
    (
        "s",
        1,
        {"np": np.arange(3), "f32": np.float32(0.5), "i64": np.int64(7), "b": np.bool_(True)},
        "70e882314ca1",
    ),
    ("ünï", 2, {"\n": '\t"\\', "a,b:c": ["x, y: z", '"quoted", yes']}, "ac5603474b64"),
    (
        "csco-cifar",
        1,
        {"stages": [{"edges": [[0, 1], [1, 12]]}, {"edges": []}, {"edges": [[2, 3]]}, {"edges": []}]},
        "7b586d304dbf",
    ),
]


@pytest.mark.parametrize(("space", "version", "genes", "expected"), PINNED_HASHES)
def test_hashes_are_pinned_and_every_way_to_build_an_arch_agrees(space, version, genes, expected):
    arch = Arch(space, version, genes)
    assert arch.hash == expected
    for same in (
        Arch.from_frozen(space, version, arch.genes),  # frozen parts that keep their JSON text
        Arch.from_frozen(space, version, freeze(genes)),  # fresh frozen parts
        Arch.from_dict(json.loads(arch.to_json())),
        pickle.loads(pickle.dumps(arch)),
    ):
        assert same == arch and same.hash == expected and hash(same) == hash(arch)
    plain = thaw(arch.genes)
    assert arch.genes_json() == json.dumps(plain, sort_keys=True)
    assert Arch(space, version, plain).genes_json() == arch.genes_json()


def test_from_frozen_checks_space_and_version():
    with pytest.raises(InvalidArchError, match=r"2 problems:\n.*non-empty string.*\n.*non-negative integer"):
        Arch.from_frozen("", -1, freeze({}))


def test_freeze_names_the_path_of_a_bad_value_however_deep():
    with pytest.raises(InvalidArchError, match=r"genes\.a\[1\]\.b\[1\] is inf; JSON holds only finite"):
        freeze({"a": [0, {"b": (0, float("inf"))}]})
    with pytest.raises(InvalidArchError, match=r"cfg\[0\]\.x has non-string keys \[1\]"):
        freeze([{"x": {1: 2}}], where="cfg")
    assert freeze({"a": [np.int64(1), {"b": ()}]}) == FrozenDict({"a": (1, FrozenDict({"b": ()}))})
    assert hash(freeze({"a": [1, 2]})) == hash(freeze({"a": (1, 2)}))


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


def test_training_seed_is_a_function_of_the_arch_and_the_run_seed():
    arch, other = Arch("toy", 1, {"i": 1}), Arch("toy", 1, {"i": 2})
    assert arch.training_seed(0) == Arch("toy", 1, {"i": 1}).training_seed(0)
    assert arch.training_seed(0) != arch.training_seed(1)
    assert arch.training_seed(0) != other.training_seed(0)
    assert 0 <= arch.training_seed(12345) < 2**31

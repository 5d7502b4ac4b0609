"""Vectorised converters: hex/int/str keys, labels and the dense transform."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from nasforge.recsys.data.convert import (
    dense_transform,
    hash_bytes,
    mix32,
    parse_hex,
    parse_int,
    parse_label01,
    parse_uint32,
)


def _arr(values: list[str | None]) -> pa.Array:
    return pa.array(values, type=pa.string())


def test_hex_fast_path_matches_python() -> None:
    rng = np.random.default_rng(0)
    keys = rng.integers(0, 2**32, 1000, dtype=np.uint64)
    text = [f"{k:08x}" if i % 3 else f"{k:08X}" for i, k in enumerate(keys)]
    text[5] = None
    parsed = parse_hex(_arr(text))
    expected = keys.astype(np.uint32)
    expected[5] = 0
    np.testing.assert_array_equal(parsed.values, expected)
    assert parsed.missing is not None and parsed.missing.tolist().count(True) == 1 and parsed.missing[5]
    assert parsed.bad is None


def test_hex_short_values_and_bad_ones() -> None:
    parsed = parse_hex(_arr(["a", "00ff", "ffffffff", "", "zz12", "123456789", "12 4"]))
    assert parsed.values[:3].tolist() == [0xA, 0xFF, 0xFFFFFFFF]
    assert parsed.missing.tolist() == [False, False, False, True, False, False, False]
    assert parsed.bad.tolist() == [False, False, False, False, True, True, True]


def test_hex_fast_path_rejects_non_hex_of_length_8() -> None:
    parsed = parse_hex(_arr(["0000000a", "0000000g"]))
    assert parsed.bad.tolist() == [False, True]
    assert parsed.values[0] == 10


def test_int_parsing() -> None:
    parsed = parse_int(_arr(["5", "-3", None, "007", "1.5", "x", "99999999999999999999"]))
    assert parsed.values[:4].tolist() == [5, -3, 0, 7]
    assert parsed.missing.tolist() == [False, False, True, False, False, False, False]
    assert parsed.bad.tolist() == [False] * 4 + [True] * 3


def test_uint32_range() -> None:
    parsed = parse_uint32(_arr(["0", "4294967295", "4294967296", "-1", "-2147483649"]))
    assert parsed.values[:2].tolist() == [0, 2**32 - 1]
    assert parsed.values[3] == 2**32 - 1  # -1 wraps (Avazu's C20 uses it)
    assert parsed.bad.tolist() == [False, False, True, False, True]


def test_str_hash_is_deterministic_and_spreads() -> None:
    values = [str(10**18 + i) for i in range(5000)] + [None]
    a, b = hash_bytes(_arr(values)), hash_bytes(_arr(values))
    np.testing.assert_array_equal(a.values, b.values)
    assert len(np.unique(a.values[:-1])) == 5000
    assert a.missing[-1] and a.values[-1] == 0


def test_label01() -> None:
    assert parse_label01(_arr(["0", "1", "1"])).values.tolist() == [0.0, 1.0, 1.0]
    parsed = parse_label01(_arr(["0", "2", None, "10", "1"]))
    assert parsed.bad.tolist() == [False, True, True, True, False]


@pytest.mark.parametrize(("raw", "expected"), [(0, 0.0), (-5, 0.0), (1, np.log(2.0)), (1000, np.log(1001.0))])
def test_dense_transform(raw: int, expected: float) -> None:
    out = dense_transform(np.array([raw]))
    assert out.dtype == np.float32
    assert out[0] == pytest.approx(expected, rel=1e-6)


def test_mix32_is_a_bijection_on_a_sample() -> None:
    x = np.arange(100_000, dtype=np.uint32)
    assert len(np.unique(mix32(x))) == len(x)

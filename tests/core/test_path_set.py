"""FGPS path sets: farthest-first order, the pool, the ablations, the saved set."""

from __future__ import annotations

import json

import pytest
from toy_space import IntVectorSpace

from nasforge.core.arch import Arch
from nasforge.core.search.path_set import (
    arch_distance,
    farthest_greedy,
    load_path_set,
    save_path_set,
    select_path_set,
)


def _point(value: int) -> Arch:
    return Arch("line", 1, {"x": value})


def _line_distance(a: Arch, b: Arch) -> float:
    return abs(a.genes["x"] - b.genes["x"])


def test_farthest_first_by_hand_starts_from_the_best_and_breaks_ties_by_score():
    points = [_point(v) for v in (0, 1, 10, 5, 9)]
    scores = [0.9, 0.8, 0.1, 0.5, 0.2]
    # best 0; farthest from {0} is 10; then 5 (distance 5); then 1 and 9 tie at 1: the better scored 1
    assert farthest_greedy(points, scores, 4, _line_distance) == [0, 2, 3, 1]
    assert farthest_greedy(points, scores, 1, _line_distance) == [0]
    assert sorted(farthest_greedy(points, scores, 5, _line_distance)) == [0, 1, 2, 3, 4]
    for size in (0, 6):
        with pytest.raises(ValueError, match="size must be in"):
            farthest_greedy(points, scores, size, _line_distance)


def test_a_space_without_distance_is_measured_on_its_encoding():
    space = IntVectorSpace(length=4, choices=3)
    a = Arch(space.name, space.version, {"values": [0, 1, 2, 0]})
    b = Arch(space.name, space.version, {"values": [0, 2, 2, 1]})
    assert arch_distance(space)(a, b) == 4.0  # two genes differ, each two one-hot entries


def _predict(archs: list[Arch]) -> list[float]:
    """Higher is better: the sum of the values (a known optimum)."""
    return [float(sum(a.genes["values"])) for a in archs]


@pytest.mark.parametrize("selection", ["fgps", "pool_random", "farthest", "random"])
def test_every_selection_keeps_k_distinct_paths_and_is_deterministic_under_a_seed(selection):
    space = IntVectorSpace(length=8, choices=4)
    first = select_path_set(space, _predict, 5, 60, 0.2, selection, seed=3)
    again = select_path_set(space, _predict, 5, 60, 0.2, selection, seed=3)
    assert first == again
    paths, scores = first
    assert len(paths) == len(set(paths)) == 5 and scores == _predict(paths)
    assert select_path_set(space, _predict, 5, 60, 0.2, selection, seed=4)[0] != paths


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_fgps_picks_from_the_pool_best_first_and_spreads_more_than_the_pool_drawn_at_random(seed):
    space = IntVectorSpace(length=10, choices=4)
    drawn = select_path_set(space, _predict, 200, 200, 1.0, "random", seed=seed)[0]
    drawn_scores = sorted(_predict(drawn))
    pool_floor = drawn_scores[-40]  # the best 20% of the 200 drawn paths
    fgps, fgps_scores = select_path_set(space, _predict, 8, 200, 0.2, "fgps", seed=seed)
    assert fgps_scores[0] == drawn_scores[-1]  # the best predicted path comes first
    assert min(fgps_scores) >= pool_floor
    distance = arch_distance(space)

    def spread(paths: list[Arch]) -> tuple[float, float]:
        pairs = [distance(a, b) for i, a in enumerate(paths) for b in paths[i + 1 :]]
        return min(pairs), sum(pairs) / len(pairs)

    # the same 200 drawn paths and pool: farthest-first keeps the chosen paths further apart
    pool_random = select_path_set(space, _predict, 8, 200, 0.2, "pool_random", seed=seed)[0]
    (fgps_nearest, fgps_mean), (random_nearest, random_mean) = spread(fgps), spread(pool_random)
    assert fgps_nearest > random_nearest
    assert fgps_mean > random_mean


def test_bad_settings_are_named():
    space = IntVectorSpace()
    with pytest.raises(ValueError, match="selection must be one of"):
        select_path_set(space, _predict, 2, 10, 0.5, "best")
    with pytest.raises(ValueError, match="top_fraction must be in"):
        select_path_set(space, _predict, 2, 10, 0.0)
    with pytest.raises(ValueError, match="size 12 exceeds the 10 paths drawn"):
        select_path_set(space, _predict, 12, 10, 0.5)


def test_a_saved_set_loads_back_and_a_wrong_file_is_named(tmp_path):
    space = IntVectorSpace()
    paths, scores = select_path_set(space, _predict, 3, 20, 0.5, seed=1)
    file = save_path_set(tmp_path / "path_set.json", paths, {"predicted": scores})
    assert load_path_set(file, space) == paths
    assert json.loads(file.read_text())["predicted"] == scores
    with pytest.raises(FileNotFoundError, match=r"missing\.json"):
        load_path_set(tmp_path / "missing.json", space)
    (tmp_path / "other.json").write_text(json.dumps({"paths": [_point(1).to_dict()]}))
    with pytest.raises(ValueError, match=r"other.json, path 0: an architecture of line, not of int_vector"):
        load_path_set(tmp_path / "other.json", space)

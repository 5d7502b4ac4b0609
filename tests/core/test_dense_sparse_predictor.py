from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from typing import ClassVar

import numpy as np
import pytest
import torch
from toy_space import IntVectorSpace

from nasforge.core.arch import Arch, check_arch
from nasforge.core.predictors import (
    ArchPredictor,
    CostPredictor,
    DenseSparse,
    DenseSparsePredictor,
    MLPPredictor,
    dense_sparse_archs,
    fit_predictor,
    kendall_tau,
    predict_together,
    sparse_cardinalities,
    warm_start,
)

# --- a toy space with numerical and categorical genes ----------------------------------------------------


class MixedSpace:
    """Genes ``{"c", "r", "k", "a"}``: a width and a depth (numbers), a kernel size and a switch
    (categories, ``k`` a category although its values are numbers)."""

    name = "mixed"
    version = 1
    choices: ClassVar[dict[str, tuple[int, ...]]] = {
        "c": (8, 12, 16, 24, 32, 48, 64, 96, 128),
        "r": (1, 2, 3, 4, 5, 6),
        "k": (5, 7, 9),
        "a": (0, 1),
    }

    def sample(self, rng: np.random.Generator) -> Arch:
        return Arch(
            self.name,
            self.version,
            {g: values[rng.integers(len(values))] for g, values in self.choices.items()},
        )

    def mutate(self, arch: Arch, rng: np.random.Generator, num_mutations: int = 1) -> Arch:
        genes = dict(arch.genes)
        for gene in rng.choice(list(self.choices), size=min(num_mutations, 4), replace=False):
            genes[gene] = next(v for v in rng.permutation(self.choices[gene]) if v != genes[gene])
        return arch.with_genes(genes)

    def validate(self, arch: Arch) -> None:
        check_arch(self, arch, self._problems(arch))

    def encode(self, arch: Arch) -> np.ndarray:
        return np.array([arch.genes["c"] / 128, arch.genes["r"] / 6, arch.genes["k"] / 9, arch.genes["a"]])

    def encode_dense_sparse(self, arch: Arch) -> tuple[np.ndarray, np.ndarray]:
        genes = arch.genes
        dense = np.array([genes["c"], genes["r"]], dtype=np.float32)
        return dense, np.array([self.choices["k"].index(genes["k"]), genes["a"]], dtype=np.int64)

    def sparse_cardinalities(self) -> list[int]:
        return [len(self.choices["k"]), len(self.choices["a"])]

    def _problems(self, arch: Arch) -> Iterator[str]:
        for gene, values in self.choices.items():
            if arch.genes.get(gene) not in values:
                yield f"genes.{gene} = {arch.genes.get(gene)!r}, expected one of {values}"


def _target(arch: Arch) -> float:
    """Grows with the log of the width and with the depth; kernel 7 costs a fixed amount."""
    genes = arch.genes
    return math.log(genes["c"]) + 0.5 * genes["r"] - 0.6 * (genes["k"] == 7)


def _flops(arch: Arch) -> float:
    return float(arch.genes["c"] ** 2 * arch.genes["r"] * arch.genes["k"])


@pytest.fixture(scope="module")
def labelled() -> tuple[MixedSpace, list[Arch], np.ndarray]:
    space = MixedSpace()
    archs = [
        Arch(space.name, space.version, dict(zip(space.choices, v, strict=True)))
        for v in itertools.product(*space.choices.values())
    ]
    archs = [archs[i] for i in np.random.default_rng(0).permutation(len(archs))]
    noise = np.random.default_rng(1).normal(0.0, 0.05, len(archs))
    return space, archs, np.array([_target(a) for a in archs]) + noise


def _predictor(space, **kwargs) -> ArchPredictor:
    return ArchPredictor(space, "dense_sparse", **{"hidden_channels": 32, "epochs": 60, **kwargs})


@pytest.fixture(scope="module")
def fitted(labelled) -> ArchPredictor:
    space, archs, y = labelled
    predictor = _predictor(space)
    predictor.fit(archs[:200], y[:200])
    return predictor


# --- the model -----------------------------------------------------------------------------------------


def test_model_gives_one_finite_score_per_architecture_and_trains():
    model = DenseSparsePredictor(2, [3, 2], embedding_dim=4, hidden_channels=8)
    dense, sparse = torch.rand(5, 2) * 100, torch.tensor([[0, 1], [2, 0], [1, 1], [0, 0], [2, 1]])
    out = model(dense, sparse)
    assert out.shape == (5,) and torch.isfinite(out).all()
    out.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    assert (
        repr(model)
        == "DenseSparsePredictor(2, cardinalities=[3, 2], embedding_dim=4, hidden_channels=8, num_layers=2)"
    )
    assert DenseSparsePredictor(2, [], num_layers=0)(dense, sparse[:, :0]).shape == (5,)


def test_model_computes_the_dot_product_interaction():
    torch.manual_seed(0)
    model = DenseSparsePredictor(2, [3, 2], embedding_dim=4, hidden_channels=8).eval()
    model.fit_dense_scaling(torch.tensor([[8.0, 1.0], [128.0, 6.0], [32.0, 3.0]]))
    dense, sparse = torch.tensor([[16.0, 2.0], [96.0, 5.0]]), torch.tensor([[2, 0], [1, 1]])
    z0 = model.bottom((torch.log1p(dense) - model.dense_mean) / model.dense_std)
    k, a = model.embedding.weight[sparse[:, 0]], model.embedding.weight[3 + sparse[:, 1]]
    dots = [(z0 * k).sum(1), (z0 * a).sum(1), (k * a).sum(1)]  # pairs (0, 1), (0, 2), (1, 2)
    expected = model.top(torch.cat([z0, torch.stack(dots, 1)], 1)).squeeze(-1)
    torch.testing.assert_close(model(dense, sparse), expected)


def test_dense_scaling_standardises_log_genes():
    model = DenseSparsePredictor(3, [2])
    dense = torch.tensor([[8.0, 1.0, 4.0], [16.0, 3.0, 4.0], [64.0, 2.0, 4.0]])
    model.fit_dense_scaling(dense)
    scaled = (torch.log1p(dense) - model.dense_mean) / model.dense_std
    torch.testing.assert_close(scaled.mean(0), torch.zeros(3), atol=1e-6, rtol=0)
    torch.testing.assert_close(scaled[:, :2].std(0, unbiased=False), torch.ones(2))
    assert model.dense_std[2] == 1.0  # a constant gene is centred, not divided by 0
    assert {"dense_mean", "dense_std"} <= set(model.state_dict())


def test_model_names_bad_inputs():
    model = DenseSparsePredictor(2, [3, 2])
    with pytest.raises(
        ValueError,
        match=r"DenseSparsePredictor: expected numerical genes of shape \[batch, 2\] and categorical "
        r"indices of shape \[batch, 2\], got \[4, 3\] and \[4, 2\]",
    ):
        model(torch.rand(4, 3), torch.zeros(4, 2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"got \[4, 2\] and \[4, 1\]"):
        model(torch.rand(4, 2), torch.zeros(4, 1, dtype=torch.long))
    with pytest.raises(
        ValueError, match=r"DenseSparsePredictor: cardinalities must be positive integers, got \[3, 0\]"
    ):
        DenseSparsePredictor(2, [3, 0])
    with pytest.raises(ValueError, match="DenseSparsePredictor: num_dense must be a positive integer, got 0"):
        DenseSparsePredictor(0, [3])
    with pytest.raises(ValueError, match="DenseSparsePredictor: embedding_dim must be a positive integer"):
        DenseSparsePredictor(2, [3], embedding_dim=0)


# --- featurisation --------------------------------------------------------------------------------------


class BatchedMixedSpace(MixedSpace):
    """The same space, featurised a batch at a time."""

    calls = 0

    def encode_dense_sparse_batch(self, archs):
        self.calls += 1
        pairs = [self.encode_dense_sparse(a) for a in archs]
        return np.stack([d for d, _ in pairs]), np.stack([s for _, s in pairs])


def test_dense_sparse_archs_stacks_the_genes_of_a_batch(labelled):
    space, archs, _ = labelled
    features = dense_sparse_archs(space, archs[:3])
    assert (
        isinstance(features, DenseSparse)
        and features.dense.dtype == np.float32
        and features.sparse.dtype == np.int64
    )
    assert features.dense.shape == (3, 2) and features.sparse.shape == (3, 2)
    assert features.dense[0].tolist() == [archs[0].genes["c"], archs[0].genes["r"]]
    batched = BatchedMixedSpace()
    np.testing.assert_array_equal(dense_sparse_archs(batched, archs[:3]).sparse, features.sparse)
    assert batched.calls == 1
    assert sparse_cardinalities(space) == [3, 2]


class _Declared(MixedSpace):
    """A space whose two dense-sparse methods disagree, or whose genes cannot be read."""

    def __init__(self, cardinalities=(3, 2), dense=None):
        self.cardinalities, self.dense = list(cardinalities), dense

    def sparse_cardinalities(self):
        return self.cardinalities

    def encode_dense_sparse(self, arch):
        dense, sparse = super().encode_dense_sparse(arch)
        return (dense if self.dense is None else np.array(self.dense, dtype=np.float32)), sparse


def test_dense_sparse_archs_names_the_space_and_the_problem(labelled):
    _, archs, _ = labelled
    seven = next(a for a in archs if a.genes["k"] == 9)
    with pytest.raises(
        TypeError,
        match=r"IntVectorSpace has no encode_dense_sparse\(arch\) method, which a dense-sparse "
        "predictor needs; use kind='mlp'",
    ):
        dense_sparse_archs(IntVectorSpace(), [IntVectorSpace().sample(np.random.default_rng(0))])
    with pytest.raises(
        ValueError, match=r"_Declared\.encode_dense_sparse gave 2 categorical genes but sparse_cardinalities"
    ):
        dense_sparse_archs(_Declared(cardinalities=[3]), [seven])
    with pytest.raises(ValueError, match="gave index 2 for categorical gene 0, which has 2 choices"):
        dense_sparse_archs(_Declared(cardinalities=[2, 2]), [seven])
    with pytest.raises(ValueError, match=r"gave the numerical gene value -1\.0; .* above -1"):
        dense_sparse_archs(_Declared(dense=[3.0, -1.0]), [seven])
    with pytest.raises(ValueError, match=r"_Declared.sparse_cardinalities\(\) lists 0"):
        sparse_cardinalities(_Declared(cardinalities=[3, 0]))
    numpy_counts = sparse_cardinalities(_Declared(cardinalities=np.array([3, 2])))
    assert numpy_counts == [3, 2] and {type(c) for c in numpy_counts} == {int}  # a predictor file holds them
    with pytest.raises(TypeError, match="IntVectorSpace has no encode_dense_sparse"):
        ArchPredictor(IntVectorSpace(), "dense_sparse").fit(
            [IntVectorSpace().sample(np.random.default_rng(0))] * 4, np.ones(4)
        )


def test_fit_predictor_takes_one_array_per_model_argument(labelled):
    space, archs, y = labelled
    features = dense_sparse_archs(space, archs[:40])
    model = DenseSparsePredictor(2, [3, 2], hidden_channels=8)
    result = fit_predictor(model, features, y[:40], epochs=2)
    assert len(result.train_losses) == 2
    with pytest.raises(ValueError, match=r"features hold arrays of shapes \[\[40, 2\], \[39, 2\]\]"):
        fit_predictor(model, (features.dense, features.sparse[:39]), y[:40])


# --- ArchPredictor(kind="dense_sparse") -----------------------------------------------------------------


def test_predictor_learns_numerical_and_categorical_genes(labelled, fitted):
    _, archs, y = labelled
    held_out = fitted.predict(archs[200:])
    assert held_out.shape == (len(archs) - 200,) and held_out.dtype == np.float64
    assert fitted.result.val_kendall_tau > 0.7 and kendall_tau(held_out, y[200:]) > 0.7
    constant = np.mean((y[:200].mean() - y[200:]) ** 2)
    assert np.mean((held_out - y[200:]) ** 2) < 0.2 * constant


def test_predictor_reads_the_categorical_genes(labelled, fitted):
    _, archs, _ = labelled
    base = [a for a in archs[200:] if a.genes["k"] == 5][:20]
    kernel_7 = [a.with_genes({**a.genes, "k": 7}) for a in base]
    switched = [a.with_genes({**a.genes, "a": 1 - a.genes["a"]}) for a in base]
    drop = fitted.predict(base) - fitted.predict(kernel_7)
    assert 0.3 < np.median(drop) < 0.9  # the target's kernel-7 cost is 0.6
    assert not np.array_equal(fitted.predict(switched), fitted.predict(base))


def test_save_load_round_trip(labelled, fitted, tmp_path):
    space, archs, _ = labelled
    path = fitted.save(tmp_path / "predictor.pt")
    loaded = ArchPredictor.load(path, space)
    assert loaded.kind == "dense_sparse" and loaded.input_sizes == [2, [3, 2]]
    assert repr(loaded.model) == repr(fitted.model)
    np.testing.assert_array_equal(loaded.predict(archs), fitted.predict(archs))
    data = torch.load(path, weights_only=True)
    assert data["input_sizes"] == [2, [3, 2]] and data["in_channels"] == 2


def test_files_without_input_sizes_still_load(tmp_path):
    space = IntVectorSpace(length=4, choices=3)
    archs = [space.sample(np.random.default_rng(i)) for i in range(30)]
    predictor = ArchPredictor(space, "mlp", hidden_channels=8, epochs=2)
    predictor.fit(archs, [sum(a.genes["values"]) for a in archs])
    data = torch.load(predictor.save(tmp_path / "mlp.pt"), weights_only=True)
    del data["input_sizes"]
    torch.save(data, tmp_path / "old.pt")
    loaded = ArchPredictor.load(tmp_path / "old.pt", space)
    assert loaded.input_sizes == [12]
    np.testing.assert_array_equal(loaded.predict(archs), predictor.predict(archs))


def test_fits_are_deterministic_under_the_seed(labelled, fitted):
    space, archs, y = labelled
    state = torch.random.get_rng_state()
    again = _predictor(space)
    again.fit(archs[:200], y[:200])
    assert torch.equal(torch.random.get_rng_state(), state)
    np.testing.assert_array_equal(again.predict(archs), fitted.predict(archs))
    other = _predictor(space, seed=1, epochs=2)
    other.fit(archs[:200], y[:200])
    assert not np.array_equal(other.predict(archs), fitted.predict(archs))


def test_predictors_of_one_space_featurise_each_chunk_once(labelled, fitted, cost, monkeypatch):
    space, archs, _ = labelled
    batch = archs[200:240]
    alone = [fitted.predict(batch), cost.predict(batch)]
    calls, encode = [], space.encode_dense_sparse

    def counted(archs):
        calls.append(len(archs))
        pairs = [encode(a) for a in archs]
        return np.stack([d for d, _ in pairs]), np.stack([s for _, s in pairs])

    monkeypatch.setattr(space, "encode_dense_sparse_batch", counted, raising=False)
    together = predict_together([fitted, cost], batch)
    assert calls == [40]
    for got, expected in zip(together, alone, strict=True):
        np.testing.assert_array_equal(got, expected)


# --- warm start: a FLOPs predictor initialises the accuracy predictor -----------------------------------


@pytest.fixture(scope="module")
def cost(labelled) -> CostPredictor:
    space, archs, _ = labelled
    predictor = CostPredictor(space, "dense_sparse", hidden_channels=32, epochs=30)
    predictor.fit(archs, [_flops(a) for a in archs])  # FLOPs are labelled for every architecture
    return predictor


@pytest.mark.parametrize("kind", ["dense_sparse", "mlp"])
def test_warm_start_begins_from_the_source_weights(labelled, kind):
    space, archs, y = labelled
    source = CostPredictor(space, kind, hidden_channels=8, epochs=2, seed=5)
    source.fit(archs, [_flops(a) for a in archs])
    frozen = ArchPredictor(space, kind, hidden_channels=8, epochs=1, lr=0.0)  # Adam with lr 0 keeps them
    frozen.fit(archs[:50], y[:50], init_from=source)
    expected = source.model.state_dict()
    assert frozen.model.state_dict().keys() == expected.keys()
    for key, value in frozen.model.state_dict().items():
        assert torch.equal(value, expected[key]), key  # the dense scaling too, fitted on all archs


def test_warm_started_fits_are_deterministic_and_leave_the_source_alone(labelled, cost):
    space, archs, y = labelled
    before = {key: value.clone() for key, value in cost.model.state_dict().items()}
    warm = [_predictor(space, epochs=15) for _ in range(2)]
    for predictor in warm:
        predictor.fit(archs[:100], y[:100], init_from=cost)
    assert all(torch.equal(before[key], value) for key, value in cost.model.state_dict().items())
    np.testing.assert_array_equal(warm[0].predict(archs), warm[1].predict(archs))
    fresh = _predictor(space, epochs=15)
    fresh.fit(archs[:100], y[:100])
    assert not np.array_equal(fresh.predict(archs), warm[0].predict(archs))


def test_warm_start_names_what_does_not_match(labelled, cost):
    space, archs, y = labelled
    with pytest.raises(
        ValueError, match=r"ArchPredictor\.fit: init_from is a 'dense_sparse' predictor but this one is 'mlp'"
    ):
        ArchPredictor(space, "mlp").fit(archs, y, init_from=cost)
    narrow = ArchPredictor(space, "dense_sparse", hidden_channels=16)
    with pytest.raises(
        ValueError,
        match=r"fit\(init_from=\.\.\.\): 'bottom\.0\.bias' has shape \[32\] in the source but \[16\] in",
    ):
        narrow.fit(archs, y, init_from=cost)
    with pytest.raises(RuntimeError, match="CostPredictor: not fitted"):
        narrow.fit(archs, y, init_from=CostPredictor(space, "dense_sparse"))
    with pytest.raises(
        ValueError,
        match=r"warm_start: DenseSparsePredictor and MLPPredictor differ: only the model has 'body\.0\.bias'",
    ):
        warm_start(MLPPredictor(4), DenseSparsePredictor(2, [3]))

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from torch_geometric.nn import global_add_pool, global_max_pool, global_mean_pool
from torch_geometric.utils import to_torch_csr_tensor
from toy_space import IntVectorSpace

from nasforge.core.arch import Arch
from nasforge.core.predictors import (
    ArchGraph,
    ArchPredictor,
    CostPredictor,
    GNNPredictor,
    GraphBatch,
    MLPPredictor,
    PredictedScore,
    PredictorFileError,
    PredictorLoss,
    batch_graphs,
    fit_predictor,
    graph_inputs,
    graph_list,
    kendall_tau,
    pairwise_ranking_loss,
    predict_together,
)
from nasforge.core.search import BatchEvaluator
from nasforge.vision.csco import CSCOSpace

# --- ArchGraph and batching ---------------------------------------------------------------------------


def _graph(num_nodes: int = 3, edges: list[list[int]] | None = None) -> ArchGraph:
    edges = [[0, 1], [1, 2]] if edges is None else edges
    return ArchGraph(np.eye(num_nodes, 2), np.array(edges, dtype=np.int64).reshape(-1, 2).T)


def test_arch_graph_converts_and_freezes_without_touching_the_input():
    features = np.ones((3, 2), dtype=np.float64)
    graph = ArchGraph(features, np.array([[0, 1], [1, 2]], dtype=np.int32))
    assert graph.node_features.dtype == np.float32 and graph.edge_index.dtype == np.int64
    assert (graph.num_nodes, graph.num_edges, graph.num_features) == (3, 2, 2)
    assert not graph.node_features.flags.writeable and features.flags.writeable
    assert repr(graph) == "ArchGraph(num_nodes=3, num_edges=2, num_features=2)"


@pytest.mark.parametrize(
    ("features", "edges", "message"),
    [
        (np.ones(3), np.zeros((2, 0)), "node_features must be a non-empty 2-D"),
        (np.ones((0, 2)), np.zeros((2, 0)), "node_features must be a non-empty 2-D"),
        (np.ones((3, 2)), np.array([[0, 1, 2]]), r"edge_index must be an integer array of shape \[2, "),
        (np.ones((3, 2)), np.array([[0.0], [1.0]]), "edge_index must be an integer array"),
        (np.ones((3, 2)), np.array([[0, 1], [1, 3]]), r"edge \[1, 3\] but the nodes are 0..2"),
        (np.ones((3, 2)), np.array([[-1], [1]]), r"edge \[-1, 1\]"),
        (np.array([[1.0], [np.nan]]), np.zeros((2, 0), dtype=np.int64), "NaN or infinite"),
    ],
)
def test_arch_graph_names_the_problem(features, edges, message):
    with pytest.raises(ValueError, match=f"ArchGraph: .*{message}"):
        ArchGraph(features, edges)


def test_batch_graphs_offsets_edges_and_numbers_graphs():
    batch = batch_graphs([_graph(3), _graph(2, []), _graph(4, [[3, 0]])])
    assert batch.x.shape == (9, 2) and batch.num_graphs == 3
    assert batch.edge_index.tolist() == [[0, 1, 8], [1, 2, 5]]
    assert batch.batch.tolist() == [0, 0, 0, 1, 1, 2, 2, 2, 2]
    with pytest.raises(ValueError, match="got no graphs"):
        batch_graphs([])
    with pytest.raises(ValueError, match=r"different numbers of node features \[2, 3\]"):
        batch_graphs([_graph(), ArchGraph(np.ones((2, 3)), np.zeros((2, 0), dtype=np.int64))])


# --- Kendall tau ----------------------------------------------------------------------------------------


def _tau_reference(x: np.ndarray, y: np.ndarray) -> float:
    sx, sy = np.sign(x[:, None] - x[None, :]), np.sign(y[:, None] - y[None, :])
    return float((sx * sy).sum() / np.sqrt(np.abs(sx).sum() * np.abs(sy).sum()))


def test_kendall_tau_known_values():
    values = [3.0, 1.0, 4.0, 1.5, 5.0, 9.0]
    assert kendall_tau(values, values) == pytest.approx(1.0)
    assert kendall_tau(values, [-v for v in values]) == pytest.approx(-1.0)
    # scipy.stats.kendalltau's documented example (tau-b, with ties on both sides)
    assert kendall_tau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]) == pytest.approx(-0.47140452079103173)
    assert np.isnan(kendall_tau([1, 1, 1], [1, 2, 3]))


def test_kendall_tau_matches_the_pairwise_definition_across_blocks():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 50, 1500).astype(float)  # many ties, more values than one block
    y = x + rng.normal(0, 20, 1500)
    assert kendall_tau(x, y) == pytest.approx(_tau_reference(x, y), abs=1e-12)
    with pytest.raises(ValueError, match="pred has 2 values but target has 3"):
        kendall_tau([1, 2], [1, 2, 3])


# --- losses ---------------------------------------------------------------------------------------------


def test_ranking_loss_is_zero_when_ordered_and_falls_when_trained():
    target = torch.tensor([0.0, 1.0, 2.0, 2.0, 5.0])
    ordered = torch.tensor([0.0, 1.0, 2.0, 2.5, 3.0])
    assert pairwise_ranking_loss(ordered, target, "hinge", margin=0.5).item() == 0.0
    assert pairwise_ranking_loss(ordered, target).item() < pairwise_ranking_loss(-ordered, target).item()
    assert pairwise_ranking_loss(ordered, torch.ones(5)).item() == 0.0
    pred = torch.zeros(5, requires_grad=True)
    optimizer = torch.optim.SGD([pred], lr=1.0)
    losses = []
    for _ in range(20):
        loss = pairwise_ranking_loss(pred, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    assert kendall_tau(pred.detach().numpy(), target.numpy()) == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"unknown kind 'list'; choose one of \['logistic', 'hinge'\]"):
        pairwise_ranking_loss(pred, target, "list")
    with pytest.raises(ValueError, match="must be 1-D and equally long"):
        pairwise_ranking_loss(pred, target[:3])


def test_predictor_loss_adds_the_weighted_ranking_term():
    pred, target = torch.tensor([0.3, -0.2, 1.0]), torch.tensor([0.0, 1.0, 2.0])
    mse = torch.nn.functional.mse_loss(pred, target)
    assert PredictorLoss(ranking_weight=0.0)(pred, target) == pytest.approx(mse.item())
    expected = mse + 0.5 * pairwise_ranking_loss(pred, target)
    assert PredictorLoss(ranking_weight=0.5)(pred, target) == pytest.approx(expected.item())
    with pytest.raises(ValueError, match="PredictorLoss: ranking_weight must be >= 0"):
        PredictorLoss(ranking_weight=-1)


# --- models ---------------------------------------------------------------------------------------------


def test_models_give_one_finite_score_per_architecture():
    mlp = MLPPredictor(6, hidden_channels=8)
    out = mlp(torch.randn(5, 6))
    assert out.shape == (5,) and torch.isfinite(out).all()
    assert repr(mlp) == "MLPPredictor(6, hidden_channels=8, num_layers=2)"
    gnn = GNNPredictor(2, hidden_channels=8, num_layers=2, pool="sum")
    batch = batch_graphs([_graph(3), _graph(2, []), _graph(4, [[0, 3]])])
    out = gnn(*batch)
    assert out.shape == (3,) and torch.isfinite(out).all()
    out.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in gnn.parameters() if p.grad is not None)
    assert repr(gnn) == "GNNPredictor(2, hidden_channels=8, num_layers=2, pool='sum')"


def test_gnn_sees_edge_direction():
    torch.manual_seed(0)
    gnn = GNNPredictor(2, hidden_channels=8)
    forward = batch_graphs([ArchGraph(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[0], [1]]))])
    backward = batch_graphs([ArchGraph(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1], [0]]))])
    assert not torch.allclose(gnn(*forward), gnn(*backward))


def test_models_name_bad_inputs():
    with pytest.raises(ValueError, match=r"MLPPredictor: expected encodings of shape \[batch, 6\], got"):
        MLPPredictor(6)(torch.randn(5, 4))
    with pytest.raises(ValueError, match="GNNPredictor: unknown pool 'avg'"):
        GNNPredictor(2, pool="avg")
    with pytest.raises(ValueError, match="GNNPredictor: hidden_channels must be a positive integer, got 0"):
        GNNPredictor(2, hidden_channels=0)


# --- training -------------------------------------------------------------------------------------------


def test_fit_predictor_is_reproducible_and_leaves_the_global_rng_alone():
    rng = np.random.default_rng(0)
    x = rng.random((80, 5)).astype(np.float32)
    y = x @ np.arange(5.0)
    results = []
    for _ in range(2):
        torch.manual_seed(0)
        model = MLPPredictor(5, hidden_channels=16, dropout=0.1)
        state = torch.random.get_rng_state()
        results.append(fit_predictor(model, x, y, epochs=15, seed=3))
        assert torch.equal(torch.random.get_rng_state(), state)
    assert results[0].train_losses == results[1].train_losses
    assert results[0].val_kendall_tau == results[1].val_kendall_tau > 0.5
    assert len(results[0].val_indices) == 16 and not model.training
    assert results[0].to_dict()["num_train"] == 64


def test_fit_predictor_stops_early_and_checks_its_inputs():
    x = np.random.default_rng(0).random((40, 3)).astype(np.float32)
    y = np.random.default_rng(1).random(40)  # noise: the held-out loss soon stops improving
    result = fit_predictor(MLPPredictor(3), x, y, epochs=200, patience=3)
    assert len(result.train_losses) < 200 and len(result.train_losses) - 1 - result.best_epoch == 3
    no_split = fit_predictor(MLPPredictor(3), x, y, epochs=2, val_fraction=0.0)
    assert no_split.val_kendall_tau is None and no_split.val_losses == []
    with pytest.raises(ValueError, match="got 40 feature rows but 39 targets"):
        fit_predictor(MLPPredictor(3), x, y[:39])
    with pytest.raises(ValueError, match="targets hold nan"):
        fit_predictor(MLPPredictor(3), x, np.where(np.arange(40) == 5, np.nan, y))
    with pytest.raises(TypeError, match="a list of ArchGraph, got a list holding str"):
        fit_predictor(GNNPredictor(2), ["graph"], [1.0])


# --- ArchPredictor on a small CSCO space ----------------------------------------------------------------


def _wiring_target(arch: Arch, num_nodes: int) -> float:
    """Depends on the wiring only: edges into 1x1 convs count double, later stages more, plus depth."""
    total = 0.0
    for stage, genes in enumerate(arch.genes["stages"]):
        depth = [0] * num_nodes
        for i, j in genes["edges"]:
            total += (1 + (j % 4 == 3)) * (stage + 1)
            depth[j] = max(depth[j], depth[i] + 1)
        total += max(depth)
    return total


@pytest.fixture(scope="module")
def labelled() -> tuple[CSCOSpace, list[Arch], np.ndarray]:
    space = CSCOSpace(num_nodes=6, stages=[[8, 1, 1, 1], [16, 1, 2, 1]])
    rng = np.random.default_rng(0)
    archs = list(dict.fromkeys(space.sample(rng) for _ in range(300)))
    return space, archs, np.array([_wiring_target(a, space.num_nodes) for a in archs])


@pytest.fixture(scope="module")
def fitted(labelled) -> dict[str, ArchPredictor]:
    space, archs, y = labelled
    predictors = {
        "mlp": ArchPredictor(space, "mlp", epochs=40),
        "gnn": ArchPredictor(space, "gnn", epochs=25),
    }
    for predictor in predictors.values():
        predictor.fit(archs[:200], y[:200])
    return predictors


@pytest.mark.parametrize("kind", ["mlp", "gnn"])
def test_predictor_learns_a_wiring_target(labelled, fitted, kind):
    _, archs, y = labelled
    predictor = fitted[kind]
    assert predictor.result.val_kendall_tau > 0.5
    held_out = predictor.predict(archs[200:])
    assert held_out.shape == (len(archs) - 200,) and held_out.dtype == np.float64
    assert kendall_tau(held_out, y[200:]) > 0.5


@pytest.mark.parametrize("kind", ["mlp", "gnn"])
def test_save_load_round_trip(labelled, fitted, kind, tmp_path):
    space, archs, _ = labelled
    path = fitted[kind].save(tmp_path / "sub" / "predictor.pt")
    loaded = ArchPredictor.load(path, space)
    assert loaded.kind == kind and repr(loaded).endswith("fitted)")
    small_batches = ArchPredictor.load(path, space)
    small_batches.predict_batch_size = 7
    expected = fitted[kind].predict(archs)
    np.testing.assert_array_equal(loaded.predict(archs), expected)
    np.testing.assert_allclose(small_batches.predict(archs), expected, rtol=1e-5, atol=1e-5)


def test_load_names_the_file_it_cannot_use(labelled, fitted, tmp_path):
    space, _, _ = labelled
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"not a torch file")
    with pytest.raises(PredictorFileError, match=f"{re.escape(str(corrupt))} is not a readable predictor"):
        ArchPredictor.load(corrupt, space)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, other)
    with pytest.raises(PredictorFileError, match=f"{re.escape(str(other))} is not a nasforge-arch-predictor"):
        ArchPredictor.load(other, space)
    saved = fitted["mlp"].save(tmp_path / "mlp.pt")
    with pytest.raises(PredictorFileError, match=f"{re.escape(str(saved))} was fitted on space 'csco-cifar-"):
        ArchPredictor.load(saved, CSCOSpace())


def test_cost_predictor_learns_on_a_log_scale(labelled):
    space, archs, y = labelled
    flops = 1e6 * np.exp(0.2 * y)  # a positive cost spanning orders of magnitude
    predictor = CostPredictor(space, epochs=40)
    assert predictor.target_transform == "log"
    predictor.fit(archs[:200], flops[:200])
    predicted = predictor.predict(archs[200:])
    assert (predicted > 0).all() and kendall_tau(predicted, flops[200:]) > 0.5
    assert np.median(np.abs(np.log(predicted / flops[200:]))) < 1.0
    with pytest.raises(ValueError, match=r"target_transform='log' needs positive targets, got 0\.0"):
        predictor.fit(archs[:3], [1.0, 0.0, 2.0])


def test_arch_predictor_settings_and_spaces_without_graphs():
    space = IntVectorSpace(length=6, choices=3)
    rng = np.random.default_rng(0)
    archs = [space.sample(rng) for _ in range(60)]
    threads = torch.get_num_threads()
    predictor = ArchPredictor(space, "mlp", epochs=5, val_fraction=0.0)  # per-arch encode fallback
    predictor.fit(archs, [sum(a.genes["values"]) for a in archs])
    assert predictor.predict(archs).shape == (60,)
    assert torch.get_num_threads() == threads  # one thread while fitting and scoring, then restored
    with pytest.raises(ValueError, match="ArchPredictor: num_threads must be None or a positive integer"):
        ArchPredictor(space, num_threads=0)
    with pytest.raises(TypeError, match="IntVectorSpace has no graph"):
        ArchPredictor(space, "gnn").fit(archs, np.ones(60))
    with pytest.raises(
        ValueError, match=r"ArchPredictor: unknown kind 'rnn'; choose one of \['dense_sparse', 'gnn', 'mlp'\]"
    ):
        ArchPredictor(space, "rnn")
    with pytest.raises(ValueError, match="unknown target_transform 'sqrt'"):
        ArchPredictor(space, target_transform="sqrt")
    with pytest.raises(RuntimeError, match="ArchPredictor: not fitted; call fit"):
        ArchPredictor(space).predict(archs)


# --- PredictedScore: the objective of a predictor search ----------------------------------------------


@pytest.mark.parametrize("kind", ["mlp", "gnn"])
def test_predicted_score_of_a_batch_equals_one_arch_at_a_time(labelled, fitted, kind):
    space, archs, y = labelled
    cost = CostPredictor(space, kind, epochs=3)
    cost.fit(archs[:100], 1e6 * np.exp(0.1 * y[:100]))
    budget = float(np.median(cost.predict(archs[200:])))  # about half the batch over budget
    score = PredictedScore(fitted[kind], cost, cost_budget=budget, alpha=-0.5, quality_name="wiring")
    assert isinstance(score, BatchEvaluator)
    batch = score.evaluate_batch(archs[200:])
    single = [score(arch) for arch in archs[200:]]
    assert len(batch) == len(archs) - 200
    for got, expected in zip(batch, single, strict=True):
        assert set(got) == {"score", "predicted_wiring", "predicted_flops"}
        assert got == pytest.approx(expected, rel=1e-6, abs=1e-6)  # float32 sums in other orders
    assert {type(v) for metrics in batch for v in metrics.values()} == {float}
    penalised = [m for m in batch if m["predicted_flops"] > budget]
    assert penalised and all(m["score"] < m["predicted_wiring"] for m in penalised)
    assert score.evaluate_batch([]) == []


class _Fixed:
    """A predictor stub that returns given values."""

    def __init__(self, values: list[float]) -> None:
        self.values, self.calls = np.array(values), 0

    def predict(self, archs):
        self.calls += 1
        return self.values[: len(archs)]


def test_predicted_score_clips_negative_and_nan_quality_and_predicts_each_batch_once():
    quality, cost = _Fixed([-0.5, np.nan, 0.3, 0.8]), _Fixed([1.0, 2.0, 4.0, 1.0])
    score = PredictedScore(quality, cost, cost_budget=2.0, alpha=-1.0)
    archs = [Arch("toy", 1, {"i": i}) for i in range(4)]
    metrics = score.evaluate_batch(archs)
    assert (quality.calls, cost.calls) == (1, 1)
    assert [m["score"] for m in metrics] == [0.0, 0.0, pytest.approx(0.15), 0.8]
    assert [m["predicted_acc"] for m in metrics] == [0.0, 0.0, 0.3, 0.8]
    assert [m["predicted_flops"] for m in metrics] == [1.0, 2.0, 4.0, 1.0]


def test_predicted_score_with_the_log_penalty_keeps_negative_quality():
    quality, cost = _Fixed([-0.5, 0.3, 0.3]), _Fixed([1.0, 1.0, np.e])
    score = PredictedScore(quality, cost, cost_budget=1.0, alpha=-1.0, penalty="log", lam=0.5)
    metrics = score.evaluate_batch([Arch("toy", 1, {"i": i}) for i in range(3)])
    assert [m["score"] for m in metrics] == [-0.5, 0.3, pytest.approx(-0.2)]
    with pytest.raises(ValueError, match="unknown penalty 'square'"):
        PredictedScore(quality, cost, cost_budget=1.0, alpha=-1.0, penalty="square")


# --- scoring: the reference layers' numbers, one featurisation per batch --------------------------------


def _reference_forward(
    model: GNNPredictor, x: torch.Tensor, edge_index: torch.Tensor, batch: torch.Tensor, num_graphs=None
) -> torch.Tensor:
    """The scores as torch_geometric's modules compute them: GINConv message passing over the CSR
    adjacency, a global pooling and the head module."""
    size = (x.shape[0], x.shape[0])
    with torch.sparse.check_sparse_tensor_invariants(enable=False):
        incoming = to_torch_csr_tensor(edge_index.flip(0), size=size)
        outgoing = to_torch_csr_tensor(edge_index, size=size)
    h = model.embed(x).relu()
    for forward_conv, backward_conv in zip(model.forward_convs, model.backward_convs, strict=True):
        h = h + model.dropout((forward_conv(h, incoming) + backward_conv(h, outgoing)).relu())
    pool = {"mean": global_mean_pool, "sum": global_add_pool, "max": global_max_pool}[model.pool]
    return model.head(pool(h, batch, num_graphs)).squeeze(-1)


class _ReferenceGNN(GNNPredictor):
    forward = _reference_forward


def _odd_batch() -> GraphBatch:
    """Graphs with a repeated edge, edges out of order and a graph without edges."""
    rng = np.random.default_rng(0)
    edges = [[[0, 1], [2, 3], [1, 2], [0, 1], [3, 0], [1, 3]], [], [[1, 0], [0, 2], [2, 1]]]
    return batch_graphs(
        [
            ArchGraph(rng.random((n, 4)), np.array(e, dtype=np.int64).reshape(-1, 2).T)
            for n, e in zip((4, 2, 3), edges, strict=True)
        ]
    )


@pytest.mark.parametrize("pool", ["mean", "sum", "max"])
def test_gnn_scores_and_trains_as_the_reference_layers(labelled, pool):
    space, archs, y = labelled
    for batch in (_odd_batch(), space.graph_batch(archs[:16])):
        torch.manual_seed(0)
        model = GNNPredictor(batch.x.shape[1], hidden_channels=8, dropout=0.2, pool=pool).eval()
        reference = _ReferenceGNN(batch.x.shape[1], hidden_channels=8, dropout=0.2, pool=pool).eval()
        reference.load_state_dict(model.state_dict())
        with torch.no_grad():
            expected = reference(*batch)
            torch.testing.assert_close(model(*batch), expected, rtol=1e-6, atol=1e-9)
            torch.testing.assert_close(model.score(graph_inputs(*batch)), expected, rtol=1e-6, atol=1e-9)
    graphs = graph_list(space, archs[:120])
    results = []
    for kind in (GNNPredictor, _ReferenceGNN):
        torch.manual_seed(0)
        results.append(
            fit_predictor(kind(graphs[0].num_features, dropout=0.2, pool=pool), graphs, y[:120], epochs=3)
        )
    assert results[0].train_losses == pytest.approx(results[1].train_losses, rel=1e-6)
    assert results[0].val_losses == pytest.approx(results[1].val_losses, rel=1e-6)


def test_gnn_names_edges_outside_the_graph_and_refuses_a_gin_epsilon():
    batch = batch_graphs([_graph(3)])
    with pytest.raises(ValueError, match=r"GNNPredictor: edge_index names nodes outside 0\.\.2"):
        GNNPredictor(2)(batch.x, batch.edge_index + 1, batch.batch)
    state = GNNPredictor(2).state_dict()
    state["backward_convs.1.eps"] = torch.tensor([0.5])
    with pytest.raises(RuntimeError, match="GNNPredictor: the state dict sets a GIN epsilon"):
        GNNPredictor(2).load_state_dict(state)


def _counting(monkeypatch, space, method: str) -> list[int]:
    """Count the calls of ``space.<method>`` (the batched featurisation) in a one-item list."""
    calls, original = [0], getattr(space, method)

    def counted(archs):
        calls[0] += 1
        return original(archs)

    monkeypatch.setattr(space, method, counted)
    return calls


def test_predictors_of_one_space_featurise_each_chunk_once(labelled, fitted, monkeypatch):
    space, archs, y = labelled
    cost = CostPredictor(space, "gnn", epochs=3)
    cost.fit(archs[:100], 1e6 * np.exp(0.1 * y[:100]))
    quality, batch = fitted["gnn"], archs[200:216]
    alone = [quality.predict(batch), cost.predict(batch)]
    graphs, encodings = (
        _counting(monkeypatch, space, "graph_batch"),
        _counting(monkeypatch, space, "encode_batch"),
    )
    score = PredictedScore(quality, cost, cost_budget=1e6, alpha=-0.5)
    metrics = score.evaluate_batch(batch)
    assert graphs == [1]
    np.testing.assert_array_equal([m["predicted_acc"] for m in metrics], alone[0])
    np.testing.assert_array_equal([m["predicted_flops"] for m in metrics], alone[1])
    cost.predict_batch_size = 7  # chunks of the smallest batch size, each featurised once
    together = predict_together([quality, cost, fitted["mlp"]], batch)
    assert graphs == [1 + 3] and encodings == [3]
    for got, expected in zip(together, [*alone, fitted["mlp"].predict(batch)], strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)


def test_predict_scores_in_eval_mode(labelled):
    space, archs, y = labelled
    predictor = ArchPredictor(space, "gnn", dropout=0.5, epochs=2)
    predictor.fit(archs[:100], y[:100])
    expected = predictor.predict(archs[200:])
    predictor.model.train()
    np.testing.assert_array_equal(predictor.predict(archs[200:]), expected)
    assert not predictor.model.training


def test_gnn_predictions_and_losses_are_pinned():
    """Fixed seeds and archs: the numbers the predictors gave before their scoring path was made
    faster; a change in featurisation, layers or training shows here."""
    space = CSCOSpace()
    rng = np.random.default_rng(0)
    archs = [space.sample(rng) for _ in range(80)]
    edges = np.array([sum(len(s["edges"]) for s in a.genes["stages"]) for a in archs], dtype=float)
    quality = ArchPredictor(space, "gnn", epochs=3, seed=1)
    quality.fit(archs[:64], edges[:64] / edges.max())
    cost = CostPredictor(space, "gnn", epochs=3, seed=2)
    cost.fit(archs[:64], 1e6 * (1 + edges[:64]))
    assert quality.result.train_losses == pytest.approx([2.671066284, 2.343742847, 2.102550745], rel=1e-6)
    assert cost.result.train_losses == pytest.approx([2.53811264, 2.281236172, 2.113031387], rel=1e-6)
    metrics = PredictedScore(quality, cost, cost_budget=3.8e7, alpha=-0.07).evaluate_batch(archs[64:])
    assert [m["predicted_acc"] for m in metrics] == pytest.approx(
        [0.6743991877, 0.6867714267, 0.6555352491, 0.6653155485, 0.671229993, 0.6586187976, 0.6874551228,
         0.6720566699, 0.6758983845, 0.661967011, 0.6494020992, 0.67169053, 0.6803098057, 0.667196212,
         0.6700486033, 0.6797807894],
        rel=1e-6,
    )  # fmt: skip
    assert [m["predicted_flops"] for m in metrics] == pytest.approx(
        [37615677.43, 38328094.39, 37968347.92, 38311292.88, 37750414.34, 38326644.29, 38095904.66,
         37641092.85, 37239414.3, 37429673.07, 38466235.5, 38117295.28, 38332388.1, 38068080.41,
         38211866.75, 38038709.52],
        rel=1e-6,
    )  # fmt: skip

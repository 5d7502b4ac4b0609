"""Generic tests run over every baseline CTR model in ``nasforge.recsys.models.CTR_MODELS``."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nasforge.recsys.models import CTR_MODELS, DLRM, DCNv2, FeatureEmbedding, XDeepFM

VOCAB_SIZES = (7, 5, 11, 3, 50, 40)
NUM_DENSE = 4
BATCH = 8

models = pytest.mark.parametrize("cls", CTR_MODELS, ids=lambda c: c.__name__)


def make_batch(batch: int, num_dense: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    dense = torch.randn(batch, num_dense, generator=gen)
    sparse = torch.stack([torch.randint(0, v, (batch,), generator=gen) for v in VOCAB_SIZES], dim=1)
    return dense, sparse


def build(cls: type[nn.Module], num_dense: int = NUM_DENSE, **kwargs) -> nn.Module:
    torch.manual_seed(0)
    return cls(num_dense, VOCAB_SIZES, embedding_dim=8, **kwargs)


@models
@pytest.mark.parametrize("num_dense", [NUM_DENSE, 0])
def test_forward_backward(cls, num_dense):
    model = build(cls, num_dense)
    dense, sparse = make_batch(BATCH, num_dense)
    out = model(dense, sparse)
    assert out.shape == (BATCH,)
    assert out.dtype == torch.float32
    assert torch.isfinite(out).all()

    out.sum().backward()
    tables = [m for m in model.modules() if isinstance(m, FeatureEmbedding)]
    assert tables
    assert all(t.weight.grad is not None and t.weight.grad.is_sparse for t in tables)
    unused = [n for n, p in model.named_parameters() if p.numel() and p.grad is None]
    assert not unused, f"parameters without gradient: {unused}"


@models
def test_dense_grad_when_sparse_grad_false(cls):
    model = build(cls, sparse_grad=False)
    model(*make_batch(BATCH, NUM_DENSE)).sum().backward()
    for table in (m for m in model.modules() if isinstance(m, FeatureEmbedding)):
        assert not table.sparse
        assert not table.weight.grad.is_sparse


@models
def test_no_dense_accepts_none(cls):
    model = build(cls, 0).eval()
    dense, sparse = make_batch(BATCH, 0)
    torch.testing.assert_close(model(None, sparse), model(dense, sparse))


@models
def test_int32_and_int64_agree(cls):
    model = build(cls).eval()
    dense, sparse = make_batch(BATCH, NUM_DENSE)
    with torch.no_grad():
        out64 = model(dense, sparse.long())
        out32 = model(dense, sparse.int())
    torch.testing.assert_close(out32, out64, rtol=0, atol=0)


@models
def test_features_and_head_compose(cls):
    model = build(cls).eval()
    dense, sparse = make_batch(BATCH, NUM_DENSE)
    with torch.no_grad():
        features = model.forward_features(dense, sparse)
        assert features.shape == (BATCH, model.num_features)
        torch.testing.assert_close(model.forward_head(features), model(dense, sparse))


@models
def test_repr_is_one_line(cls):
    text = repr(build(cls))
    assert text.startswith(f"{cls.__name__}(num_dense={NUM_DENSE}, num_sparse={len(VOCAB_SIZES)}")
    assert "\n" not in text


@models
def test_reset_parameters_is_deterministic(cls):
    model = build(cls)
    torch.manual_seed(1)
    model.reset_parameters()
    first = {k: v.clone() for k, v in model.state_dict().items()}
    torch.manual_seed(1)
    model.reset_parameters()
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, first[key], msg=key)


@models
def test_state_dict_round_trip(cls):
    model, other = build(cls).eval(), cls(NUM_DENSE, VOCAB_SIZES, embedding_dim=8).eval()
    other.load_state_dict(model.state_dict())
    dense, sparse = make_batch(BATCH, NUM_DENSE)
    with torch.no_grad():
        torch.testing.assert_close(other(dense, sparse), model(dense, sparse))


@models
def test_hydra_instantiate(cls):
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    cfg = OmegaConf.create(
        {"_target_": f"{cls.__module__}.{cls.__name__}", "num_dense": 0, "vocab_sizes": list(VOCAB_SIZES)}
    )
    model = instantiate(cfg)
    assert type(model) is cls
    assert model(None, make_batch(2, 0)[1]).shape == (2,)


@models
def test_wrong_sparse_feature_count(cls):
    model = build(cls)
    dense, sparse = make_batch(BATCH, NUM_DENSE)
    with pytest.raises(ValueError, match=rf"{cls.__name__}: expected sparse of shape \[B, 6\].*got \[8, 5\]"):
        model(dense, sparse[:, :5])


@models
def test_wrong_dense_shape_and_dtype(cls):
    model = build(cls)
    dense, sparse = make_batch(BATCH, NUM_DENSE)
    with pytest.raises(ValueError, match=r"expected dense of shape \[8, 4\].*got \[8, 3\]"):
        model(dense[:, :3], sparse)
    with pytest.raises(ValueError, match="dense is None but num_dense=4"):
        model(None, sparse)
    with pytest.raises(ValueError, match="expected integer sparse indices"):
        model(dense, sparse.float())


@models
def test_bad_constructor_arguments(cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: num_dense must be an int >= 0.*got -1"):
        cls(-1, VOCAB_SIZES)
    with pytest.raises(ValueError, match=rf"{cls.__name__}: vocab_sizes must be a non-empty sequence"):
        cls(NUM_DENSE, [])
    with pytest.raises(ValueError, match=r"vocab_sizes\[1\] must be an int >= 1.*got 0"):
        cls(NUM_DENSE, [3, 0])


def test_model_specific_constructor_errors():
    with pytest.raises(ValueError, match="structure must be one of"):
        DCNv2(NUM_DENSE, VOCAB_SIZES, structure="serial")
    with pytest.raises(ValueError, match="needs an even size"):
        XDeepFM(NUM_DENSE, VOCAB_SIZES, cin_layer_sizes=(7, 8))
    with pytest.raises(ValueError, match="no pair to interact"):
        DLRM(0, [10])
    assert DLRM(0, [10], self_interaction=True)(None, torch.zeros(3, 1, dtype=torch.long)).shape == (3,)


def test_model_variants_run():
    dense, sparse = make_batch(BATCH, NUM_DENSE)
    variants = [
        DCNv2(NUM_DENSE, VOCAB_SIZES, rank=4, structure="stacked", hidden=(16,)),
        DCNv2(NUM_DENSE, VOCAB_SIZES, hidden=(), structure="stacked"),
        XDeepFM(NUM_DENSE, VOCAB_SIZES, cin_layer_sizes=(6, 5, 3), cin_split_half=False, hidden=()),
        DLRM(NUM_DENSE, VOCAB_SIZES, self_interaction=True, norm="layer", dropout=0.1),
    ]
    for model in variants:
        assert model(dense, sparse).shape == (BATCH,), repr(model)


@models
@pytest.mark.filterwarnings("ignore:Sparse invariant checks:UserWarning")  # raised inside Adagrad
def test_overfits_tiny_batch(cls):
    """A label given by an interaction of two categorical features must be learnable on 64 rows."""
    torch.manual_seed(0)
    dense, sparse = make_batch(64, NUM_DENSE, seed=1)
    label = ((sparse[:, 0] + sparse[:, 1]) % 2).float()
    model = cls(NUM_DENSE, VOCAB_SIZES, embedding_dim=8)
    optimizer = torch.optim.Adagrad(model.parameters(), lr=0.05)
    losses = []
    for _ in range(150):
        loss = nn.functional.binary_cross_entropy_with_logits(model(dense, sparse), label)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], f"{cls.__name__}: loss {losses[0]:.3f} -> {losses[-1]:.3f}"

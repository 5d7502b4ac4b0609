"""KPConv: the correlation sum by hand and by an explicit loop, and its invariances."""

from __future__ import annotations

import pytest
import torch

from nasforge.pointcloud.ops import KPConv, radius


def _random_case(seed: int, num_src: int = 30, num_dst: int = 12, channels: int = 4):
    gen = torch.Generator().manual_seed(seed)
    pos_src, pos_dst = torch.rand(num_src, 3, generator=gen), torch.rand(num_dst, 3, generator=gen)
    x = torch.randn(num_src, channels, generator=gen)
    edges = radius(pos_src, pos_dst, 0.4, max_num_neighbors=10).flip(0)  # row 0: neighbour, row 1: query
    return x, pos_src, pos_dst, edges


def _loop(conv: KPConv, x, pos_src, pos_dst, edges) -> torch.Tensor:
    """f_i = sum_j sum_k max(0, 1 - |p_j - p_i - x_k| / extent) W_k^T f_j, one term at a time."""
    out = torch.zeros(pos_dst.shape[0], conv.out_channels, dtype=torch.float64)
    for j, i in edges.T.tolist():
        for k, point in enumerate(conv.kernel_points.double()):
            h = max(0.0, 1 - float((pos_src[j] - pos_dst[i] - point).norm()) / conv.extent)
            out[i] += h * conv.weight[k].detach().double().T @ x[j].double()
    return out


def test_one_centred_kernel_point_by_hand():
    conv = KPConv(2, 1, kernel_size=1, extent=1.0)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([[[2.0], [-1.0]]]))
    pos_src = torch.tensor([[0.3, 0.0, 0.0], [0.0, 0.6, 0.0], [0.0, 0.0, 1.5]])
    x = torch.tensor([[1.0, 1.0], [3.0, 2.0], [5.0, 5.0]])
    edges = torch.tensor([[0, 1, 2], [0, 0, 0]])  # the third neighbour is beyond the extent
    out = conv(x, pos_src, torch.zeros(1, 3), edges)
    expected = 0.7 * (2 * 1 - 1 * 1) + 0.4 * (2 * 3 - 1 * 2)
    torch.testing.assert_close(out, torch.tensor([[expected]]))


def test_matches_an_explicit_loop_on_strided_points(device):
    x, pos_src, pos_dst, edges = _random_case(0)
    conv = KPConv(4, 3, kernel_size=15, extent=0.2)
    expected = _loop(conv, x, pos_src, pos_dst, edges).float()
    conv = conv.to(device)
    out = conv(x.to(device), pos_src.to(device), pos_dst.to(device), edges.to(device))
    torch.testing.assert_close(out.cpu(), expected, atol=1e-5, rtol=1e-4)


def test_queries_without_neighbours_get_zeros_and_edge_order_does_not_matter():
    x, pos_src, pos_dst, edges = _random_case(1)
    lonely = edges[1] != 0
    edges = edges[:, lonely]
    conv = KPConv(4, 5, kernel_size=7, extent=0.2)
    out = conv(x, pos_src, pos_dst, edges)
    assert torch.equal(out[0], torch.zeros(5))
    shuffled = edges[:, torch.randperm(edges.shape[1], generator=torch.Generator().manual_seed(2))]
    torch.testing.assert_close(conv(x, pos_src, pos_dst, shuffled), out)


def test_normalize_divides_by_the_neighbour_count():
    x, pos_src, pos_dst, edges = _random_case(3)
    summed = KPConv(4, 2, extent=0.2)
    averaged = KPConv(4, 2, extent=0.2, normalize=True)
    averaged.load_state_dict(summed.state_dict())
    count = torch.bincount(edges[1], minlength=pos_dst.shape[0]).clamp_min(1).unsqueeze(1)
    torch.testing.assert_close(
        averaged(x, pos_src, pos_dst, edges), summed(x, pos_src, pos_dst, edges) / count
    )


def test_gradients_reach_the_weights_and_the_features():
    x, pos_src, pos_dst, edges = _random_case(4)
    x.requires_grad_(True)
    conv = KPConv(4, 3, extent=0.2)
    conv(x, pos_src, pos_dst, edges).square().sum().backward()
    assert conv.weight.grad is not None and conv.weight.grad.abs().sum() > 0
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_a_batch_of_two_clouds_equals_each_cloud_alone():
    gen = torch.Generator().manual_seed(5)
    clouds = [torch.rand(40, 3, generator=gen), torch.rand(25, 3, generator=gen)]
    features = [torch.randn(40, 4, generator=gen), torch.randn(25, 4, generator=gen)]
    conv = KPConv(4, 6, kernel_size=13, extent=0.15)
    pos, x = torch.cat(clouds), torch.cat(features)
    batch = torch.tensor([0] * 40 + [1] * 25)
    out = conv(x, pos, pos, radius(pos, pos, 0.3, batch, batch).flip(0))
    alone = [conv(f, p, p, radius(p, p, 0.3).flip(0)) for p, f in zip(clouds, features, strict=True)]
    torch.testing.assert_close(out, torch.cat(alone))


def test_repr_buffers_and_initialisation():
    conv = KPConv(16, 32, kernel_size=15, extent=0.048)
    assert repr(conv) == "KPConv(16, 32, kernel_size=15, extent=0.048)"
    assert set(conv.state_dict()) == {"weight", "kernel_points"}
    assert conv.kernel_radius == pytest.approx(0.1)  # KPConv's conv_radius 2.5 cells for an extent of 1.2
    torch.testing.assert_close(conv.kernel_points[1:].norm(dim=1).mean(), torch.tensor(0.066))
    assert float(conv.weight.detach().abs().max()) <= (15 * 16) ** -0.5
    wide = KPConv(16, 32, kernel_size=15, extent=0.048, kernel_radius=0.2)
    torch.testing.assert_close(wide.kernel_points, 2 * conv.kernel_points)


_EDGES = torch.zeros(2, 1, dtype=torch.long)


@pytest.mark.parametrize(
    ("x", "pos_src", "edges", "match"),
    [
        (torch.rand(5, 3), torch.rand(5, 3), _EDGES.T, r"edge_index must be \[2, num_edges\]"),
        (torch.rand(5, 4), torch.rand(5, 3), _EDGES, r"x_src must be \[num_src, 3\]"),
        (torch.rand(4, 3), torch.rand(5, 3), _EDGES, "x_src has 4 rows but pos_src 5"),
        (torch.rand(5, 3), torch.rand(5, 2), _EDGES, r"pos_src must be \[num_points, 3\]"),
    ],
)
def test_bad_inputs_are_refused(x, pos_src, edges, match):
    with pytest.raises(ValueError, match=f"KPConv: {match}"):
        KPConv(3, 2, extent=0.1)(x, pos_src, torch.rand(2, 3), edges)


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="KPConv: extent must be > 0"):
        KPConv(3, 2, extent=0.0)
    with pytest.raises(ValueError, match="KPConv: channels must be >= 1"):
        KPConv(0, 2)

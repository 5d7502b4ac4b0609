import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nasforge.vision.models import BasicBlock, Bottleneck, ResNet, resnet18, resnet34, resnet50

FACTORIES = {"resnet18": resnet18, "resnet34": resnet34, "resnet50": resnet50}


@pytest.mark.parametrize(
    ("name", "params"), [("resnet18", 11_689_512), ("resnet34", 21_797_672), ("resnet50", 25_557_032)]
)
def test_imagenet_models_match_the_published_sizes(name: str, params: int):
    """The parameter counts of torchvision's (and the paper's) ImageNet models."""
    net = FACTORIES[name]()
    assert sum(p.numel() for p in net.parameters()) == params


@pytest.mark.parametrize("name", sorted(FACTORIES))
@pytest.mark.parametrize(("stem", "size", "feature_size"), [("cifar", 32, 4), ("imagenet", 64, 2)])
@pytest.mark.parametrize("shortcut", [True, False])
def test_forward_backward_shapes(name: str, stem: str, size: int, feature_size: int, shortcut: bool):
    torch.manual_seed(0)
    # full widths for ResNet-18; narrow ones keep the deeper nets fast on a CPU
    widths = (64, 128, 256, 512) if name == "resnet18" else (8, 16, 32, 64)
    net = FACTORIES[name](num_classes=7, stem=stem, shortcut=shortcut, widths=widths)
    x = torch.randn(2, 3, size, size)
    features = net.forward_features(x)
    width = widths[-1] * (4 if name == "resnet50" else 1)
    assert net.num_features == width and features.shape == (2, width, feature_size, feature_size)
    assert net.forward_head(features, pre_logits=True).shape == (2, width)
    logits = net(x)
    assert logits.shape == (2, 7) and torch.isfinite(logits).all()
    F.cross_entropy(logits, torch.tensor([0, 6])).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in net.parameters())


def test_plain_variant_has_no_shortcut_modules():
    residual, plain = resnet18(stem="cifar"), resnet18(stem="cifar", shortcut=False)
    assert sum(b.downsample is not None for s in residual.stages for b in s) == 3
    assert all(b.downsample is None and not b.shortcut for s in plain.stages for b in s)
    assert sum(p.numel() for p in residual.parameters()) > sum(p.numel() for p in plain.parameters())
    plain.load_state_dict(residual.state_dict(), strict=False)  # same weights, only the wiring differs
    x = torch.randn(2, 3, 32, 32)
    assert not torch.allclose(residual.eval()(x), plain.eval()(x))


@pytest.mark.parametrize("block_cls", [BasicBlock, Bottleneck])
def test_plain_block_adds_no_identity(block_cls):
    """With the last norm zeroed, a residual block passes relu(x) through; a plain one outputs zeros."""
    chs = 4 * block_cls.expansion
    residual, plain = block_cls(chs, 4).eval(), block_cls(chs, 4, shortcut=False).eval()
    for block in (residual, plain):
        block.zero_init_last()
    x = torch.randn(2, chs, 6, 6)
    torch.testing.assert_close(residual(x), torch.relu(x))
    assert torch.equal(plain(x), torch.zeros_like(x))


def test_residual_blocks_start_as_identity_but_plain_ones_do_not():
    residual, plain = resnet18(stem="cifar"), resnet18(stem="cifar", shortcut=False)
    assert all(float(b.bn2.weight.detach().abs().sum()) == 0 for s in residual.stages for b in s)
    assert all(float(b.bn2.weight.detach().abs().sum()) > 0 for s in plain.stages for b in s)
    before = residual.layer1[0].conv1.weight.clone()
    residual.reset_parameters()
    assert not torch.equal(before, residual.layer1[0].conv1.weight)


def test_channels_last_gives_the_same_output():
    torch.manual_seed(0)
    net = resnet18(num_classes=10, stem="cifar").eval()
    x = torch.randn(2, 3, 32, 32)
    expected = net(x)
    net = net.to(memory_format=torch.channels_last)
    torch.testing.assert_close(
        net(x.contiguous(memory_format=torch.channels_last)), expected, atol=1e-4, rtol=1e-4
    )


def test_reset_classifier_and_repr():
    net = resnet18(num_classes=10, stem="cifar")
    net.reset_classifier(3)
    assert net.fc.out_features == 3 and net(torch.randn(1, 3, 32, 32)).shape == (1, 3)
    net.reset_classifier(0)
    assert isinstance(net.fc, nn.Identity) and net(torch.randn(1, 3, 32, 32)).shape == (1, 512)
    assert "block='basic', layers=[2, 2, 2, 2], stem='cifar', shortcut=True" in repr(net)


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match=r"unknown stem 'tiny'; choose one of \['cifar', 'imagenet'\]"):
        resnet18(stem="tiny")
    with pytest.raises(ValueError, match=r"unknown block 'wide'; choose one of \['basic', 'bottleneck'\]"):
        ResNet("wide", (2, 2))
    with pytest.raises(ValueError, match="one count >= 1 per stage"):
        ResNet("basic", (2, 2, 2))
    net = ResNet("basic", (1,), num_classes=2, stem="cifar", widths=(4,))
    with pytest.raises(ValueError, match=r"expected images \[B, 3, H, W\]"):
        net(torch.zeros(1, 1, 8, 8))
    with pytest.raises(TypeError, match=r"expected floating-point images, got torch\.uint8"):
        net(torch.zeros(1, 3, 8, 8, dtype=torch.uint8))


def test_tiny_batch_is_overfit():
    torch.manual_seed(0)
    net = ResNet("basic", (1, 1), num_classes=4, stem="cifar", widths=(16, 32))
    x, y = torch.randn(16, 3, 16, 16), torch.arange(16) % 4
    optimizer = torch.optim.SGD(net.parameters(), lr=0.2, momentum=0.9, nesterov=True)
    losses = []
    for _ in range(40):
        optimizer.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]
    assert (net.eval()(x).argmax(1) == y).all()

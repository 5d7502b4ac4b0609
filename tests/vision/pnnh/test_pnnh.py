import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nasforge.vision.models import BasicBlock, resnet18
from nasforge.vision.pnnh import (
    Coder,
    PNNHBlock,
    PNNHResNet,
    PNNHVisionTransformer,
    build_variant,
    cifar_resnet,
    pnnh_resnet18,
    pnnh_resnet34,
    pnnh_resnet50,
    pnnh_vit_tiny,
    split_channels,
)

# narrow widths keep the deep nets fast on a CPU
NETS = {
    "pnnh_resnet18": lambda: pnnh_resnet18(num_classes=7, stem="cifar", widths=(16, 32, 64, 128)),
    "pnnh_resnet34": lambda: pnnh_resnet34(num_classes=7, stem="cifar", widths=(8, 16, 32, 64)),
    "pnnh_resnet50": lambda: pnnh_resnet50(num_classes=7, stem="imagenet", widths=(8, 16, 32, 64)),
    "pnnh_vit_tiny": lambda: pnnh_vit_tiny(num_classes=7, img_size=16, patch_size=4, embed_dim=48),
    "pnnh_resnet110": lambda: cifar_resnet("pnnh", 110, num_classes=7, widths=(8, 16, 32)),
}


def _unique_params(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


@pytest.mark.parametrize("name", sorted(NETS))
def test_forward_backward_and_timm_surface(name: str):
    torch.manual_seed(0)
    net = NETS[name]()
    x = torch.randn(2, 3, 16, 16)
    features = net.forward_features(x)
    pooled = net.forward_head(features, pre_logits=True)
    assert pooled.shape == (2, net.num_features)
    logits = net(x)
    assert logits.shape == (2, 7) and torch.isfinite(logits).all()
    F.cross_entropy(logits, torch.tensor([0, 6])).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in net.parameters())
    net.reset_classifier(3)
    assert net(x).shape == (2, 3)
    net.reset_classifier(0)
    assert net(x).shape == (2, net.num_features)


def test_cifar_resnet18_sizes_and_repr():
    pnnh, residual = pnnh_resnet18(num_classes=10, stem="cifar"), resnet18(num_classes=10, stem="cifar")
    assert pnnh.forward_features(torch.randn(1, 3, 32, 32)).shape == (1, 512, 4, 4)
    # learners write 3/4 of the channels and the coders are shared: about 2/3 of ResNet-18's weights
    assert 0.6 < _unique_params(pnnh) / _unique_params(residual) < 0.7
    assert "shortcut=False" in repr(pnnh) and "code_ratio=0.25" in repr(pnnh)
    block = pnnh.layer2[1]
    assert isinstance(block.learner, BasicBlock) and not block.learner.shortcut
    assert block.coder.code_chs == 32 and block.learner.conv2.out_channels == 96


def test_coders_are_shared_within_a_stage():
    net = pnnh_resnet18(num_classes=10, stem="cifar", widths=(8, 16, 32, 64))
    stage_coders = [[block.coder for block in stage] for stage in net.stages]
    assert stage_coders[0][0] is stage_coders[0][1]  # 64 -> 64: one coder for the stage
    for coders in stage_coders[1:]:  # each later stage: its own strided coder, then the shared one
        assert coders[0] is not coders[1] and coders[0].stride == 2 and coders[1].stride == 1
    coders = [m for m in net.modules() if isinstance(m, Coder)]
    assert len(coders) == 7
    # one parameter set: parameters() lists a shared coder once, and both blocks' gradients add up in it
    assert _unique_params(net) == sum(p.numel() for m in net.modules() for p in m.parameters(recurse=False))
    shared = stage_coders[0][0]
    net(torch.randn(2, 3, 16, 16)).sum().backward()
    assert shared.encoder.grad is not None and shared.encoder.grad.abs().sum() > 0

    deep = cifar_resnet("pnnh", 56, widths=(8, 16, 32))
    assert len({id(m) for m in deep.modules() if isinstance(m, Coder)}) == 3 + 2  # 3 shared, 2 strided


def test_one_coder_serves_the_whole_vit():
    net = pnnh_vit_tiny(img_size=32, patch_size=8, embed_dim=48, depth=6, num_classes=5)
    assert all(block.coder is net.coder for block in net.blocks)
    assert [m for m in net.modules() if isinstance(m, Coder)] == [net.coder]
    assert net.coder.code_chs == 12 and net.blocks[0].learner.out_dim == 36


def test_coder_starts_as_an_exact_carrier_through_its_relu():
    torch.manual_seed(0)
    images, tokens = torch.randn(2, 8, 6, 6), torch.randn(2, 5, 8)
    coder = Coder(8, 3)
    torch.testing.assert_close(coder(images), images[:, :3])
    torch.testing.assert_close(coder(tokens), tokens[..., :3])
    strided = Coder(8, 3, stride=2)
    torch.testing.assert_close(strided(images), F.avg_pool2d(images, 2)[:, :3])
    assert Coder(2, 3)(images[:, :2])[:, 2].abs().sum() == 0  # more code than input channels: zeros
    assert "in_chs=8, code_chs=3, stride=1" in repr(coder)


def test_pnnh_block_concatenates_and_never_adds():
    torch.manual_seed(0)
    coder, learner = Coder(8, 2), BasicBlock(8, 6, shortcut=False).eval()
    block = PNNHBlock(coder, learner).eval()
    x = torch.randn(2, 8, 5, 5)
    out = block(x)
    torch.testing.assert_close(out, torch.cat([x[:, :2], learner(x)], dim=1))
    learner.zero_init_last()  # learner silenced: its channels are zero, the coder's keep the input
    out = block(x)
    assert torch.equal(out[:, 2:], torch.zeros_like(out[:, 2:]))
    with torch.no_grad():
        coder.decoder.zero_()  # and with the coder silenced too nothing is left: no bypass
    assert torch.equal(block(x), torch.zeros_like(out))


@pytest.mark.parametrize("family", ["resnet", "vit"])
def test_plain_and_pnnh_nets_have_no_residual_bypass(family: str):
    """Silence every block's last layer: a residual net still sees the image, a plain net sees
    nothing (constant logits), a PNNH net sees only what its coders carry."""
    torch.manual_seed(0)
    x = torch.randn(4, 3, 32, 32)
    outputs = {}
    sizes = {"widths": (4, 8, 16)} if family == "resnet" else {"embed_dim": 24}
    for wiring in ("residual", "plain", "pnnh"):
        net = build_variant(family, wiring, 20 if family == "resnet" else 3, num_classes=5, **sizes).eval()
        with torch.no_grad():
            for module in net.modules():
                if isinstance(module, BasicBlock):
                    module.zero_init_last()
                elif hasattr(module, "mlp"):
                    module.mlp[-1].weight.zero_()
                    module.mlp[-1].bias.zero_()
            outputs[wiring] = net(x)
            if wiring == "pnnh":
                for coder in {id(m): m for m in net.modules() if isinstance(m, Coder)}.values():
                    coder.decoder.zero_()
                outputs["pnnh_silent"] = net(x)
    assert outputs["residual"].std(0).sum() > 1e-3
    assert outputs["pnnh"].std(0).sum() > 1e-3
    assert outputs["plain"].std(0).sum() < 1e-6
    assert outputs["pnnh_silent"].std(0).sum() < 1e-6


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match=r"PNNHResNet: code_ratio must lie in \(0, 1\), got 1.5"):
        pnnh_resnet18(code_ratio=1.5)
    with pytest.raises(ValueError, match="PNNHResNet: 'shortcut' does not apply"):
        pnnh_resnet18(shortcut=True)
    with pytest.raises(ValueError, match="PNNHVisionTransformer: 'residual' does not apply"):
        PNNHVisionTransformer(residual=True)
    with pytest.raises(ValueError, match="leaves no room for a coder or a learner in 4 channels"):
        split_channels(4, 0.9, 4, "PNNHResNet")
    with pytest.raises(
        ValueError, match=r"unknown variant 'skip'; choose one of \['residual', 'plain', 'pnnh'\]"
    ):
        build_variant("resnet", "skip", 20)
    with pytest.raises(ValueError, match="unknown family 'mlp'"):
        build_variant("mlp", "plain", 20)
    with pytest.raises(ValueError, match="depth must be 6n \\+ 2"):
        cifar_resnet("plain", 21)
    with pytest.raises(ValueError, match=r"Coder: expected images \[B, 4, H, W\] or tokens"):
        Coder(4, 2)(torch.zeros(4))
    assert isinstance(PNNHResNet("bottleneck", (1,), widths=(8,), stem="cifar").layer1[0], PNNHBlock)

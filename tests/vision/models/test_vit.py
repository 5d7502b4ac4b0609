import pytest
import torch
import torch.nn.functional as F

from nasforge.vision.models import TransformerBlock, VisionTransformer, vit_small, vit_tiny


def test_vit_small_matches_the_published_size():
    """ViT-S/16 at 224: 22,050,664 parameters with a 1000-class head (timm's vit_small_patch16_224)."""
    assert sum(p.numel() for p in vit_small().parameters()) == 22_050_664


@pytest.mark.parametrize("residual", [True, False])
@pytest.mark.parametrize("global_pool", ["token", "avg"])
def test_forward_backward_and_surface(residual: bool, global_pool: str):
    torch.manual_seed(0)
    net = vit_tiny(img_size=16, patch_size=4, embed_dim=24, depth=3, num_classes=5, residual=residual,
                   global_pool=global_pool)  # fmt: skip
    x = torch.randn(2, 3, 16, 16)
    features = net.forward_features(x)
    assert features.shape == (2, 17, 24) and net.forward_head(features, pre_logits=True).shape == (2, 24)
    logits = net(x)
    assert logits.shape == (2, 5) and torch.isfinite(logits).all()
    F.cross_entropy(logits, torch.tensor([0, 4])).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in net.parameters())
    net.reset_classifier(0)
    assert net(x).shape == (2, 24)
    assert f"residual={residual}" in repr(net)


def test_plain_block_adds_nothing():
    """MLP output zeroed: a residual block returns its attention-updated input, a plain one zeros."""
    torch.manual_seed(0)
    x = torch.randn(2, 5, 8)
    for residual in (True, False):
        block = TransformerBlock(8, 2, residual=residual)
        with torch.no_grad():
            block.mlp[-1].weight.zero_()
            block.mlp[-1].bias.zero_()
        out = block(x)
        if residual:
            torch.testing.assert_close(out, x + block.attn(block.norm1(x)))
        else:
            assert torch.equal(out, torch.zeros_like(out))
    assert TransformerBlock(8, 2, residual=False, out_dim=6)(x).shape == (2, 5, 6)


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="img_size=30 must be a multiple of patch_size=4"):
        VisionTransformer(img_size=30, patch_size=4)
    with pytest.raises(ValueError, match=r"unknown global_pool 'max'; choose one of \['token', 'avg'\]"):
        VisionTransformer(img_size=32, patch_size=4, global_pool="max")
    with pytest.raises(ValueError, match="num_heads=5 must divide dim=8"):
        TransformerBlock(8, 5)
    with pytest.raises(ValueError, match="a residual block keeps its width"):
        TransformerBlock(8, 2, out_dim=6)
    net = vit_tiny(img_size=16, patch_size=4, embed_dim=12, depth=1)
    with pytest.raises(ValueError, match=r"expected images \[B, 3, 16, 16\], got \(1, 3, 32, 32\)"):
        net(torch.zeros(1, 3, 32, 32))
    with pytest.raises(TypeError, match="floating-point"):
        net(torch.zeros(1, 3, 16, 16, dtype=torch.uint8))

import json
from pathlib import Path

import pytest
import torch

from nasforge.vision.data import BatchAugment
from nasforge.vision.pnnh import build_variant, linear_cka, survival_profile, tapped_layers
from nasforge.vision.pnnh.analyze import cifar_images, main
from nasforge.vision.pnnh.compare import BriefTraining, train_briefly


def test_linear_cka_invariances():
    torch.manual_seed(0)
    x = torch.randn(32, 10)
    rotation, _ = torch.linalg.qr(torch.randn(10, 10))
    assert linear_cka(x, 3.0 * x @ rotation + 1.0) == pytest.approx(1.0, abs=1e-9)
    assert linear_cka(x, torch.randn(32, 10)) < 0.5
    assert linear_cka(x, torch.ones(32, 4)) == 0.0  # constant features carry nothing
    with pytest.raises(ValueError, match="same size >= 2"):
        linear_cka(x, x[:5])


def test_tapped_layers_cover_stem_and_every_block():
    resnet = build_variant("resnet", "pnnh", 20, widths=(4, 8, 16))
    names = [name for name, _ in tapped_layers(resnet)]
    assert names[0] == "stem" and names[1:4] == ["layer1.0", "layer1.1", "layer1.2"] and len(names) == 10
    vit = build_variant("vit", "plain", 3, embed_dim=24)
    assert [name for name, _ in tapped_layers(vit)] == ["embed", "blocks.0", "blocks.1", "blocks.2"]
    with pytest.raises(TypeError, match="Linear has neither 'stages'"):
        tapped_layers(torch.nn.Linear(2, 2))


def test_input_survives_pnnh_depth_but_dissipates_in_plain_nets():
    """At initialisation, on generated CIFAR images: the deep plain ResNet and ViT lose much of their
    similarity to the first layer by the last block; the PNNH and residual versions keep more of it."""
    images, source = cifar_images(None, "cifar10", 32)
    assert images.shape == (32, 3, 32, 32) and source["generated"] is True
    last = {}
    for family, depth, sizes in (("resnet", 56, {}), ("vit", 12, {"embed_dim": 48})):
        for wiring in ("residual", "plain", "pnnh"):
            torch.manual_seed(0)
            rows = survival_profile(build_variant(family, wiring, depth, **sizes), images)
            assert rows[0]["cka_first"] == pytest.approx(1.0)
            assert all(
                0.0 <= r["active_fraction"] <= 1.0 and -1e-9 <= r["cka_input"] <= 1 + 1e-9 for r in rows
            )
            last[family, wiring] = rows[-1]["cka_first"]
    for family in ("resnet", "vit"):
        assert last[family, "pnnh"] > last[family, "plain"] + 0.1
        assert last[family, "residual"] > last[family, "plain"] + 0.1


def test_survival_profile_leaves_the_net_as_it_was():
    net = build_variant("resnet", "residual", 8, widths=(4, 8, 16)).train()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    survival_profile(net, torch.randn(4, 3, 16, 16))
    assert net.training and all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert all(not module._forward_hooks for module in net.modules())
    with pytest.raises(ValueError, match=r"a batch of >= 2 images"):
        survival_profile(net, torch.randn(1, 3, 16, 16))


def test_command_line_writes_json_and_png(tmp_path: Path, capsys):
    out = tmp_path / "survival"
    result = main(["--family", "vit", "--depth", "3", "--samples", "8", "--out", str(out)])
    payload = json.loads((out / "survival.json").read_text())
    assert payload["data"]["generated"] is True and payload["data"]["images"] == 8
    assert sorted(payload["profiles"]) == ["plain vit-3", "pnnh vit-3", "residual vit-3"]
    assert all(len(rows) == 4 for rows in payload["profiles"].values())  # embedding + 3 blocks
    assert (out / "survival.png").read_bytes()[:4] == b"\x89PNG" and result["png"] == out / "survival.png"
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {"network", "final_cka_input", "final_active_fraction"} <= set(printed[0])


def test_brief_training_reports_every_figure():
    torch.manual_seed(0)
    images, labels = torch.randint(0, 256, (16, 3, 16, 16), dtype=torch.uint8), torch.arange(16) % 4
    net = build_variant("resnet", "pnnh", 8, widths=(4, 8, 16), num_classes=4)
    result = train_briefly(
        net, (images, labels), (images, labels), BatchAugment(), BriefTraining(steps=3, batch_size=8)
    )
    assert len(result["losses"]) == 3 and not result["diverged"]
    assert result["images_per_s"] > 0 and 0.0 <= result["test_acc"] <= 1.0
    assert result["params"] == sum(p.numel() for p in net.parameters())
    with pytest.raises(ValueError, match="unknown optimizer 'lamb'"):
        BriefTraining(optimizer="lamb").make_optimizer(net)


@pytest.mark.slow
def test_deep_plain_net_trains_worse_than_its_residual_and_pnnh_versions(tmp_path: Path):
    """ResNet-56 (narrow) on a generated CIFAR-10 sample, same data and schedule: after 120 steps the
    plain net's training loss is the highest of the three wirings."""
    from nasforge.vision.data import read_cifar, write_cifar

    folder = write_cifar(tmp_path, "cifar10", train_per_class=100, test_per_class=1, seed=0)
    train = read_cifar(folder, "cifar10", "train")
    losses = {}
    for wiring in ("residual", "plain", "pnnh"):
        torch.manual_seed(0)
        net = build_variant("resnet", wiring, 56, widths=(8, 16, 32))
        recipe = BriefTraining(steps=120, batch_size=32, lr=0.05)
        losses[wiring] = train_briefly(net, (train.images, train.labels), None, BatchAugment(), recipe)[
            "final_loss"
        ]
    assert losses["plain"] > losses["residual"] and losses["plain"] > losses["pnnh"], losses

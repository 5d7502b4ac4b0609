"""The PNNH and ViT model configs build the networks their names promise, on the experiments' data."""

import json
from pathlib import Path

import hydra
import pytest
import torch

from nasforge.vision.models import ResNet, VisionTransformer
from nasforge.vision.pnnh import PNNHResNet, PNNHVisionTransformer

MODELS = {
    "pnnh_resnet18": PNNHResNet,
    "pnnh_resnet34": PNNHResNet,
    "pnnh_resnet50": PNNHResNet,
    "pnnh_vit_small": PNNHVisionTransformer,
    "vit_small": VisionTransformer,
    "plain_vit_small": VisionTransformer,
}


@pytest.mark.parametrize("model", sorted(MODELS))
def test_model_configs_build_their_networks(compose_train, model: str):
    cfg = compose_train(["experiment=pnnh_cifar100", f"model={model}"])
    assert cfg.pipeline.stages[-1]._target_ == "nasforge.vision.pnnh.stages.SurvivalStage"
    net = hydra.utils.instantiate(cfg.model.net, num_classes=100, in_chans=3)
    assert isinstance(net, MODELS[model])
    assert getattr(net, "residual", getattr(net, "shortcut", None)) is (model == "vit_small")
    with torch.no_grad():
        assert net.eval()(torch.randn(1, 3, 32, 32)).shape == (1, 100)


def test_imagenet_experiment_uses_the_imagenet_stem(compose_train):
    cfg = compose_train(["experiment=pnnh_imagenet"])
    net = hydra.utils.instantiate(cfg.model.net, num_classes=10, in_chans=3)
    assert isinstance(net, ResNet) and net.stem == "imagenet" and cfg.model.optimizer.weight_decay == 1e-4


def test_experiment_writes_the_survival_analysis(compose_train):
    from nasforge.pipeline import run

    cfg = compose_train(
        ["experiment=pnnh_cifar10", "trainer.fast_dev_run=true", "+model.net.widths=[8,16,32,64]"]
    )
    metrics = run(cfg)
    run_dir = Path(cfg.paths.output_dir)
    payload = json.loads((run_dir / "survival.json").read_text())
    assert sorted(payload["profiles"]) == ["init", "trained"] and payload["data"]["generated"] is True
    assert len(payload["profiles"]["trained"]) == 1 + 8  # stem + ResNet-18's blocks
    assert (run_dir / "survival.png").is_file() and (run_dir / "net.pt").is_file()
    assert 0.0 <= metrics["survival/trained_final_cka_input"] <= 1.0 and "test/acc" in metrics

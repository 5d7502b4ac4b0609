"""The PNNH and ViT model configs build the networks their names promise, on the experiments' data."""

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


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_model_configs_build_their_networks(compose_train, model: str):
    cfg = compose_train(["experiment=pnnh_cifar100", f"model={model}"])
    assert cfg.pipeline.stages[-1]._target_ == "nasforge.vision.pnnh.stage.SurvivalStage"
    net = hydra.utils.instantiate(cfg.model.net, num_classes=100, in_chans=3)
    assert isinstance(net, MODELS[model])
    assert getattr(net, "residual", getattr(net, "shortcut", None)) is (model == "vit_small")
    with torch.no_grad():
        assert net.eval()(torch.randn(1, 3, 32, 32)).shape == (1, 100)


def test_imagenet_experiment_uses_the_imagenet_stem(compose_train):
    cfg = compose_train(["experiment=pnnh_imagenet"])
    net = hydra.utils.instantiate(cfg.model.net, num_classes=10, in_chans=3)
    assert isinstance(net, ResNet) and net.stem == "imagenet" and cfg.model.optimizer.weight_decay == 1e-4

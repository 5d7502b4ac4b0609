"""Every domain's DataModule sizes its models, says where its data came from, and gives inputs that
the models it sized accept (what FLOPs, latency and hardware pricing trace)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nasforge.lit import DataModuleContract
from nasforge.pipeline import RunContext


@pytest.mark.parametrize("experiment", ["dlrm_criteo", "resnet18_cifar10", "flnet_routability"])
def test_example_inputs_fit_the_model_the_data_sized(compose_train, tmp_path: Path, experiment: str):
    cfg = compose_train([f"experiment={experiment}"])
    context = RunContext(cfg=cfg, output_dir=tmp_path)
    datamodule = context.datamodule
    assert isinstance(datamodule, DataModuleContract)
    assert context.info["data"]["generated"] is True
    net = context.build_model(cfg.model).net.eval()
    with torch.no_grad():
        out = net(*datamodule.example_inputs(batch_size=3))
    assert out.shape[0] == 3 and torch.isfinite(out).all()


def test_resolving_a_model_config_leaves_the_shared_config_alone(compose_train, tmp_path: Path):
    cfg = compose_train(["experiment=dlrm_criteo"])
    context = RunContext(cfg=cfg, output_dir=tmp_path)
    resolved = context.model_config(cfg.model)
    assert resolved.net.vocab_sizes == context.datamodule.model_kwargs()["vocab_sizes"]
    assert "vocab_sizes" not in cfg.model.net


def test_the_run_builds_its_data_once(compose_train, tmp_path: Path, monkeypatch):
    import nasforge.pipeline.context as context_module
    from nasforge.pipeline import run

    built = []
    real = context_module.build_datamodule
    monkeypatch.setattr(context_module, "build_datamodule", lambda cfg: built.append(cfg) or real(cfg))
    cfg = compose_train(["experiment=nasrec_criteo", "trainer.fast_dev_run=true"])
    run(cfg)
    assert len(built) == 1  # supernet, search and retrain share it

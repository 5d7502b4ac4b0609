"""`profile=auto` picks a method's sizes from the data and the device, and says what it left out."""

from __future__ import annotations

from pathlib import Path

import pytest

from nasforge.utils.resolvers import image_training_hours, method_profile, profile_warning, training_images
from nasforge.vision.data import write_cifar


def test_auto_runs_quick_on_a_generated_sample_and_on_a_cpu(tmp_path: Path, monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: True)
    assert method_profile("auto", None, str(tmp_path / "absent"), "gpu") == "quick"  # generated sample
    assert method_profile("auto", str(tmp_path), None, "gpu") == "published"  # real data, a GPU
    assert method_profile("auto", str(tmp_path), None, "cpu") == "quick"  # real data, CPU forced
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    assert method_profile("auto", str(tmp_path), None, "auto") == "quick"
    assert method_profile("published", None, None, "cpu") == "published"  # asked for: given


def test_an_unknown_profile_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"profile must be one of \['auto', 'published', 'quick', 'tiny'\]"):
        method_profile("fast", None, None, "cpu")


def test_auto_warns_only_when_real_data_runs_quick_for_want_of_a_gpu(tmp_path: Path):
    warning = profile_warning("auto", "quick", str(tmp_path), None, "days on a CPU")
    assert "the `quick` profile runs" in warning and "days on a CPU" in warning
    assert "profile=published" in warning
    assert profile_warning("auto", "quick", None, None, "days") == ""  # a generated sample
    assert profile_warning("quick", "quick", str(tmp_path), None, "days") == ""  # chosen by the user
    assert profile_warning("auto", "published", str(tmp_path), None, "days") == ""  # a GPU
    assert profile_warning("auto", "tiny", str(tmp_path), None, "days") == ""  # a smoke run


def test_a_smoke_run_shrinks_every_stage(tmp_path: Path):
    assert method_profile("auto", str(tmp_path), None, "cpu", True) == "tiny"
    assert method_profile("quick", str(tmp_path), None, "cpu", True) == "quick"  # asked for: given


def test_a_run_on_real_data_without_a_gpu_logs_the_warning(compose_train, tmp_path: Path):
    cfg = compose_train(["experiment=nasrec_criteo", "profile=auto", f"data.path={tmp_path}"])
    assert cfg.nasrec.profile == "quick"
    assert "published profile would take one supernet epoch" in cfg.notes[1]


def test_a_method_that_trains_nothing_runs_published_on_real_data_without_a_gpu(tmp_path: Path):
    assert method_profile("auto", str(tmp_path), None, "none") == "published"  # a real table, a CPU
    assert method_profile("auto", None, None, "none") == "quick"  # a generated table
    assert method_profile("auto", str(tmp_path), None, "none", True) == "tiny"


def test_auto_runs_published_on_a_cpu_only_when_its_estimate_fits_the_budget(tmp_path: Path, monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    assert method_profile("auto", str(tmp_path), None, "cpu", False, 3.5, 12) == "published"
    assert method_profile("auto", str(tmp_path), None, "cpu", False, 750.0, 12) == "quick"
    assert method_profile("auto", str(tmp_path), None, "cpu", False, None, 12) == "quick"  # no estimate
    assert method_profile("auto", None, None, "cpu", False, 0.1, 12) == "quick"  # a generated sample


def test_the_cost_estimate_counts_the_real_data_with_its_own_reader(tmp_path: Path):
    write_cifar(tmp_path, "cifar10", train_per_class=3, test_per_class=1)
    folder = str(tmp_path / "cifar-10-batches-py")
    assert training_images(folder, None, "cifar10") == 30
    assert training_images(None, folder, "cifar10") == 30  # found at the default path
    assert training_images(None, str(tmp_path / "absent"), "cifar10") is None  # a generated sample
    # 30 images x (300 labels x 10 epochs + 3 retrained x 200 epochs) x 0.5 s
    assert image_training_hours(30, 0.5, 300, 10, 3, 200) == 15.0
    assert image_training_hours(None, 0.5, 300, 10) is None
    with pytest.raises(ValueError, match="pairs"):
        image_training_hours(30, 0.5, 300)


def test_unreadable_data_gives_no_estimate_and_auto_stays_quick(tmp_path: Path, monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    assert training_images(str(tmp_path), None, "cifar10") is None  # no pickles: the DataModule will say so
    assert method_profile("auto", str(tmp_path), None, "cpu", False, None, 12) == "quick"

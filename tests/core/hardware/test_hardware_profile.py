"""Hardware profiles: the shipped Hydra group, strict loading from files and names."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra.utils import instantiate
from omegaconf import OmegaConf
from round_constants import ROUND

from nasforge.core.hardware import HardwareProfile, available_profiles, load_hardware

CONFIGS = Path(__file__).resolve().parents[3] / "configs" / "hardware"


@pytest.mark.parametrize("name", ["conservative", "aggressive"])
def test_the_group_options_build_the_profiles_that_load_by_name(name):
    assert name in available_profiles()
    profile = instantiate(OmegaConf.load(CONFIGS / f"{name}.yaml"))
    assert isinstance(profile, HardwareProfile) and profile.name == name
    assert profile == load_hardware(name)


def test_unknown_keys_are_rejected_with_the_valid_ones():
    with pytest.raises(ValueError, match="unknown hardware key") as error:
        HardwareProfile.from_dict({**ROUND, "adc_bitz": 8}, source="my.yaml")
    message = str(error.value)
    assert message.startswith("my.yaml") and "'adc_bitz'" in message and "did you mean" in message
    assert all(key in message.split("valid keys:")[1] for key in HardwareProfile.valid_keys())


def test_missing_and_bad_values_are_rejected():
    values = dict(ROUND)
    del values["adc_bits"]
    with pytest.raises(ValueError, match=r"missing hardware key.*adc_bits"):
        HardwareProfile.from_dict(values)
    for key, bad in [("adc_energy_pj", 0), ("crossbar_size", 12.5), ("noc_hops", True), ("cell_bits", "2")]:
        with pytest.raises(ValueError, match=key):
            HardwareProfile.from_dict({**ROUND, key: bad})
    with pytest.raises(ValueError, match="embedding_placement must be one of memory, host"):
        HardwareProfile.from_dict({**ROUND, "embedding_placement": "disk"})


def test_profiles_load_from_files_and_names(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("".join(f"{k}: {v}\n" for k, v in ROUND.items()))
    assert load_hardware(path) == HardwareProfile.from_dict(ROUND, name="mine")
    path.write_text(path.read_text() + "adc_speed: 3\n")
    with pytest.raises(ValueError, match=r"mine\.yaml: unknown hardware key"):
        load_hardware(path)
    with pytest.raises(ValueError, match=r"available: .*aggressive.*conservative"):
        load_hardware("optimistic")

from pathlib import Path

from nasforge.utils.config_check import available_options, unknown_choice_message

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def test_unknown_experiment_is_one_line_listing_choices():
    message = unknown_choice_message(["experiment=no_such_thing", "seed=1"], CONFIGS)
    assert message is not None and "\n" not in message
    assert "unknown experiment 'no_such_thing'" in message
    for name in available_options(CONFIGS, "experiment"):
        assert name in message


def test_known_choices_sweeps_and_plain_keys_pass():
    options = available_options(CONFIGS, "data")
    assert options, "configs/data should not be empty"
    assert unknown_choice_message([f"data={options[0]}", "data.batch_size=64"], CONFIGS) is None
    assert unknown_choice_message(["experiment=a,b", "experiment=null", "+trainer.foo=1"], CONFIGS) is None


def test_shared_bases_are_not_listed():
    assert not any(name.startswith("_") for name in available_options(CONFIGS, "model"))


def test_unknown_hardware_and_profile_are_one_line_listing_choices():
    message = unknown_choice_message(["hardware=fastest"], CONFIGS)
    assert message == "error: unknown hardware 'fastest'; available: aggressive, conservative"
    message = unknown_choice_message(["profile=fast"], CONFIGS)
    assert message == "error: unknown profile 'fast'; available: auto, published, quick, tiny"
    assert unknown_choice_message(["profile=tiny", "hardware=aggressive"], CONFIGS) is None

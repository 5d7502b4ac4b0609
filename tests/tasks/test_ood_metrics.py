"""OOD scores and OpenOOD's measures against cases computed by hand."""

from __future__ import annotations

import logging
import math

import pytest
import torch
from torchmetrics import MetricCollection

from nasforge.tasks.ood_metrics import MEASURES, SCORES, OODDetection, ood_measures, ood_score

HAND_LOGITS = torch.tensor([[2.0, 0.0], [0.0, 0.0]])


def test_msp_is_the_largest_softmax_probability():
    msp = ood_score(HAND_LOGITS, "msp")
    assert msp.tolist() == pytest.approx([math.e**2 / (math.e**2 + 1), 0.5])


def test_energy_score_is_the_negative_energy():
    lse = [math.log(math.e**2 + 1), math.log(2.0)]
    assert ood_score(HAND_LOGITS, "energy").tolist() == pytest.approx(lse)
    lse_half = [2 * math.log(math.e + 1), 2 * math.log(2.0)]  # 2 * logsumexp(l / 2)
    assert ood_score(HAND_LOGITS, "energy", temperature=2.0).tolist() == pytest.approx(lse_half)


def test_max_logit_is_the_largest_logit():
    assert ood_score(HAND_LOGITS, "max_logit").tolist() == [2.0, 0.0]


@pytest.mark.parametrize("kind", SCORES)
@pytest.mark.parametrize("temperature", [0.5, 1.0, 3.0])
def test_a_confident_sample_scores_above_a_flat_one(kind, temperature):
    confident, flat = ood_score(torch.tensor([[5.0, 0.0, 0.0], [1.0, 1.0, 1.0]]), kind, temperature)
    assert confident > flat


@pytest.mark.parametrize(("kind", "temperature", "named"), [("entropy", 1.0, "entropy"), ("msp", 0.0, "0.0")])
def test_a_bad_kind_or_temperature_is_refused_by_name(kind, temperature, named):
    with pytest.raises(ValueError, match=named):
        ood_score(HAND_LOGITS, kind, temperature)


def test_auroc_is_100_when_separated_and_0_when_reversed():
    id_scores, ood_scores = torch.tensor([0.6, 0.7, 0.9]), torch.tensor([0.1, 0.2, 0.5])
    assert ood_measures(id_scores, ood_scores)["auroc"] == pytest.approx(100.0)
    assert ood_measures(ood_scores, id_scores)["auroc"] == pytest.approx(0.0)


def test_auroc_counts_a_tie_as_half():
    # pairs (ID, OOD): (1, 1) tie -> 0.5, (1, 0), (2, 1), (2, 0) -> 1 each: 3.5 / 4
    assert ood_measures(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 0.0]))["auroc"] == pytest.approx(87.5)


def test_large_scores_are_not_squashed_into_ties():
    # energies and max logits lie far outside [0, 1], where a sigmoid would make them all 1.0
    measures = ood_measures(torch.tensor([50.0, 51.0]), torch.tensor([40.0, 41.0]))
    assert measures["auroc"] == pytest.approx(100.0)
    assert measures["aupr_in"] == pytest.approx(100.0)
    assert measures["aupr_out"] == pytest.approx(100.0)


def test_fpr95_counts_ood_samples_at_or_above_the_19th_of_20_id_scores():
    id_scores = torch.arange(1.0, 21.0)  # k = ceil(0.95 * 20) = 19 -> threshold 2
    ood_scores = torch.tensor([1.5, 2.0, 3.0, 0.0])  # 2 (a tie) and 3 are accepted
    assert ood_measures(id_scores, ood_scores)["fpr95"] == pytest.approx(50.0)


def test_fpr95_uses_the_exact_rank_and_accepts_ties():
    id_scores = torch.arange(1.0, 101.0)  # k = 95 -> threshold 6
    assert ood_measures(id_scores, torch.tensor([5.5, 6.0]))["fpr95"] == pytest.approx(50.0)
    tied = torch.tensor([5.0, 5.0, 5.0, 5.0])  # k = ceil(3.8) = 4 -> threshold 5
    assert ood_measures(tied, torch.tensor([5.0, 4.0, 4.5, 6.0]))["fpr95"] == pytest.approx(50.0)


def test_aupr_in_and_out_match_average_precision_by_hand():
    # ranked by score: 0.9 ID, 0.8 OOD, 0.7 ID, 0.4 ID, 0.3 OOD
    measures = ood_measures(torch.tensor([0.9, 0.7, 0.4]), torch.tensor([0.8, 0.3]))
    assert measures["aupr_in"] == pytest.approx(100 * (1 + 2 / 3 + 3 / 4) / 3)  # ID at ranks 1, 3, 4
    assert measures["aupr_out"] == pytest.approx(100 * (1 + 2 / 4) / 2)  # OOD at ranks 1, 4 of -score
    assert measures["auroc"] == pytest.approx(100 * 4 / 6)
    assert measures["fpr95"] == pytest.approx(50.0)  # k = ceil(2.85) = 3 -> threshold 0.4: 0.8 accepted
    assert list(measures) == list(MEASURES)


@pytest.mark.parametrize("empty", ["id_scores", "ood_scores"])
def test_an_empty_set_is_refused_by_name(empty):
    scores = {"id_scores": torch.tensor([0.5]), "ood_scores": torch.tensor([0.1])}
    scores[empty] = torch.zeros(0)
    with pytest.raises(ValueError, match=f"{empty} is empty"):
        ood_measures(**scores)


def _batch(generator: torch.Generator, size: int, sets: int) -> tuple[torch.Tensor, torch.Tensor]:
    ood = torch.randint(0, sets + 1, (size,), generator=generator)
    logits = torch.randn(size, 10, generator=generator)
    logits[ood == 0, 0] += 3.0  # ID samples are more confident
    return logits, ood


@pytest.mark.parametrize(("score", "temperature"), [("msp", 1.0), ("energy", 2.0), ("max_logit", 1.0)])
def test_two_updates_equal_the_measures_of_the_concatenation(score, temperature):
    generator = torch.Generator().manual_seed(0)
    first, second = _batch(generator, 64, 1), _batch(generator, 48, 1)
    metric = OODDetection(["cifar100"], score=score, temperature=temperature)
    metric.update(*first)
    metric.update(*second)
    result = metric.compute()

    logits, ood = torch.cat([first[0], second[0]]), torch.cat([first[1], second[1]])
    scores = ood_score(logits, score, temperature)
    expected = ood_measures(scores[ood == 0], scores[ood == 1])
    assert set(result) == {*MEASURES, *(f"cifar100/{m}" for m in MEASURES)}
    for measure, value in expected.items():
        assert result[f"cifar100/{measure}"].dim() == 0
        assert float(result[f"cifar100/{measure}"]) == pytest.approx(value, abs=1e-4)
        assert float(result[measure]) == pytest.approx(value, abs=1e-4)


def test_per_set_keys_and_the_mean_over_the_near_sets():
    generator = torch.Generator().manual_seed(1)
    logits, ood = _batch(generator, 200, 2)
    logits[ood == 2, 0] += 1.5  # the second set is harder to tell apart
    metric = OODDetection(["cifar100", "svhn"], near=["cifar100"])
    metric.update(logits, ood)
    result = metric.compute()
    for measure in MEASURES:
        assert float(result[measure]) == pytest.approx(float(result[f"cifar100/{measure}"]))
        assert f"svhn/{measure}" in result
    assert float(result["svhn/auroc"]) != pytest.approx(float(result["cifar100/auroc"]))

    both = OODDetection(["cifar100", "svhn"])
    both.update(logits, ood)
    means = both.compute()
    for measure in MEASURES:
        mean = (float(result[f"cifar100/{measure}"]) + float(result[f"svhn/{measure}"])) / 2
        assert float(means[measure]) == pytest.approx(mean, abs=1e-4)


def test_a_collection_flattens_the_result_under_its_prefix():
    generator = torch.Generator().manual_seed(2)
    collection = MetricCollection({"ood": OODDetection(["cifar100"])}, prefix="test/")
    collection.update(*_batch(generator, 32, 1))
    assert set(collection.compute()) == {f"test/{m}" for m in MEASURES} | {
        f"test/cifar100/{m}" for m in MEASURES
    }


def test_no_ood_sample_of_the_near_sets_gives_nan_and_a_warning(caplog):
    metric = OODDetection(["cifar100", "svhn"], near=["svhn"])
    metric.update(torch.randn(6, 10), torch.tensor([0, 0, 1, 0, 1, 0]))
    with caplog.at_level(logging.WARNING):
        result = metric.compute()
    assert all(math.isnan(result[m]) for m in MEASURES)
    assert not math.isnan(result["cifar100/auroc"])
    assert "svhn/auroc" not in result
    assert "no sample of the near OOD sets ['svhn'] arrived" in caplog.text


def test_no_id_sample_gives_nan_and_a_warning(caplog):
    metric = OODDetection(["cifar100"])
    metric.update(torch.randn(3, 10), torch.tensor([1, 1, 1]))
    with caplog.at_level(logging.WARNING):
        result = metric.compute()
    assert all(math.isnan(result[m]) for m in MEASURES)
    assert math.isnan(result["cifar100/fpr95"])
    assert "no in-distribution (ood == 0) sample" in caplog.text


def test_near_sets_that_did_not_arrive_are_left_out_of_the_mean_with_a_warning(caplog):
    metric = OODDetection(["cifar100", "svhn"])
    metric.update(torch.randn(6, 10), torch.tensor([0, 0, 1, 0, 1, 0]))
    with caplog.at_level(logging.WARNING):
        result = metric.compute()
    for measure in MEASURES:
        assert float(result[measure]) == pytest.approx(float(result[f"cifar100/{measure}"]))
    assert "no sample of the near OOD sets ['svhn'] arrived; the means cover ['cifar100']" in caplog.text


@pytest.mark.filterwarnings("ignore:The ``compute`` method of metric OODDetection was called before")
def test_an_empty_epoch_gives_nan():
    result = OODDetection(["cifar100"]).compute()
    assert set(result) == set(MEASURES)
    assert all(math.isnan(v) for v in result.values())


@pytest.mark.parametrize("bad", [-1, 3])
def test_an_ood_index_outside_the_sets_is_refused_by_value(bad):
    metric = OODDetection(["cifar100", "svhn"])
    with pytest.raises(ValueError, match=f"ood index {bad} is outside 0..2"):
        metric.update(torch.randn(3, 10), torch.tensor([0, bad, 1]))


def test_an_unknown_near_name_is_refused():
    with pytest.raises(
        ValueError, match=r"near sets \['tin'\] are not among set_names \('cifar100', 'svhn'\)"
    ):
        OODDetection(["cifar100", "svhn"], near=["tin"])


@pytest.mark.parametrize("set_names", [[], ["svhn", "svhn"]])
def test_set_names_must_be_non_empty_and_distinct(set_names):
    with pytest.raises(ValueError, match="non-empty and distinct"):
        OODDetection(set_names)


def test_a_bad_score_is_refused_at_construction():
    with pytest.raises(ValueError, match="entropy"):
        OODDetection(["cifar100"], score="entropy")

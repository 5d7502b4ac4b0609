"""The ``ranking`` stage: does a supernet (or a predictor) rank architectures as training them does?

A weight-sharing search is only worth its supernet if inherited weights order architectures like their
stand-alone results; otherwise it is a random search with extra steps. This stage trains a fixed random
sample of the space from scratch with the child recipe (the expensive part, kept per architecture so a
killed stage resumes without retraining) and compares each scorer's order with theirs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nasforge.core.arch import Arch, SearchSpace
from nasforge.core.label_quality import explained_tau
from nasforge.core.predictors import ArchPredictor
from nasforge.core.predictors.rank_agreement import paired_tau_difference, spearman, top_k_overlap
from nasforge.core.search.path_set import distinct_samples, select_path_set
from nasforge.core.search.random_baseline import random_search_at_budget
from nasforge.pipeline import (
    PredictorResult,
    ReportResult,
    RetrainResult,
    RunContext,
    StageResult,
    WeightsResult,
    write_json,
)
from nasforge.pipeline.distributed import is_rank_zero
from nasforge.stages.retrain import train_child
from nasforge.stages.search import load_supernet
from nasforge.utils.pylogger import RankedLogger

__all__ = ["RankingStudyStage"]

log = RankedLogger(__name__)


class RankingStudyStage:
    """Train ``num_archs`` random architectures of ``space`` from scratch and compare their test
    metrics with each scorer's: Kendall tau, Spearman and top-``top`` overlap per scorer and metric,
    ``ranking.png`` (scorer against stand-alone, one panel per scorer) and ``ranking.md``.

    Scorers: every stage of ``supernet_stages`` (name -> stage that saved a supernet's weights), its
    architectures scored by ``evaluator`` on those weights; and ``predictor_stage``'s predictor of
    ``metric`` (what it was fitted on: the supernet's labels). With ``searched_stage`` (a
    :class:`~nasforge.pipeline.RetrainResult`), the searched model's test ``metric`` is set beside the
    best of the random architectures: a search that cannot beat the best of a few random
    architectures trained alike did not earn its cost. It is also set against a random search at its
    own budget, one that retrains as many architectures and tests the best on validation, computed
    exactly over every draw of the random sample
    (:func:`~nasforge.core.search.random_baseline.random_search_at_budget`).

    Every supernet scorer after the first is set against the first: its Kendall tau minus the
    first's, with a paired bootstrap interval over the architectures
    (:func:`~nasforge.core.predictors.rank_agreement.paired_tau_difference`), so "ranks better" is
    told apart from the noise of a tau over a few dozen architectures.

    With ``draw_top_fraction``, the architectures are drawn instead from where a search that follows
    the predictor looks: uniformly from the best predicted ``draw_top_fraction`` of
    ``draw_candidates`` random draws (the two-shot pipeline passes the path set's M; with the path
    set's seed and q that is FGPS's own pool). A second shot trains on that region, so this asks
    whether it ranks better where it was trained;
    "random" architectures in the metrics are then random members of that pool.

    With ``chance_level``, the agreement is also measured among the architectures that learn: those
    whose stand-alone value of the first metric is better than chance. A space where many draws
    compute a constant (a NASRec last block that hands the head nothing) gives every scorer an easy
    tau from putting those last; among the others the order can be far weaker.

    Args:
        space: the space the architectures are drawn from (the supernets').
        evaluator: partial completed with ``supernet=`` and ``datamodule=`` into ``arch -> metrics``.
        num_archs: architectures trained stand-alone (R); ``0`` skips the study (a pipeline that has it
            as an option).
        supernet_stages: scorer name -> supernet stage (default: none).
        predictor_stage: stage whose quality predictor is a scorer too (default: ``None``).
        child_key: top-level config key of the child model config (default: ``"child"``).
        metrics: ``name -> mode`` of the compared metrics, as the child's test reports them and the
            evaluator scores them (default: ``{"auc": "max", "logloss": "min"}``).
        top: size of the top sets compared (default: ``5``).
        seed: seeds the draw of the architectures (default: ``0``).
        searched_stage: the retrain stage of the search, compared with the best random architecture
            (default: ``None``).
        bootstrap_resamples: resamples of the interval of a tau difference (default: ``2000``).
        chance_level: the first metric's value for a network that has learned nothing (0.5 for an
            AUC); the agreement among the architectures beyond it goes to ``<scorer>/<metric>_*_learning``
            (default: ``None``, not measured).
        reuse_from: another run folder whose study trained the same architectures with the same
            child, data, trainer and seed (an ablation of what comes before the study): its finished
            stand-alone trainings are copied instead of trained again; one trained with other
            settings stops the stage with the keys that differ. Also its study's folder itself
            (``ranking/``, or ``ranking.before-recompute/`` after ``recompute_from``)
            (default: ``None``).
        draw_top_fraction: draw the architectures from this best predicted share of
            ``draw_candidates`` random ones, scored by ``predictor_stage``'s predictor (default:
            ``None``, uniformly from the space).
        draw_candidates: random architectures that ``draw_top_fraction`` keeps a share of
            (default: ``2000``).
        name: stage name (default: ``"ranking"``).
    """

    produces = ReportResult

    #: trains Lightning models, so under DDP every process runs it (rank 0 writes the files)
    runs_on_every_rank = True

    def __init__(
        self,
        space: SearchSpace,
        evaluator: Callable[..., Callable[[Arch], Mapping[str, float]]],
        num_archs: int,
        supernet_stages: Mapping[str, str] | None = None,
        predictor_stage: str | None = None,
        child_key: str = "child",
        metrics: Mapping[str, str] | None = None,
        top: int = 5,
        seed: int = 0,
        searched_stage: str | None = None,
        bootstrap_resamples: int = 2000,
        reuse_from: str | None = None,
        chance_level: float | None = None,
        draw_top_fraction: float | None = None,
        draw_candidates: int = 2000,
        name: str = "ranking",
    ) -> None:
        if num_archs == 1 or num_archs < 0:
            raise ValueError(f"RankingStudyStage: num_archs must be 0 (skip) or at least 2, got {num_archs}")
        if draw_top_fraction is not None and num_archs:
            _check_pool(draw_top_fraction, draw_candidates, num_archs, predictor_stage)
        self.space, self.evaluator, self.num_archs = space, evaluator, num_archs
        self.supernet_stages = dict(supernet_stages or {})
        self.predictor_stage, self.child_key, self.top, self.seed = predictor_stage, child_key, top, seed
        self.metrics = dict(metrics or {"auc": "max", "logloss": "min"})
        self.searched_stage, self.name = searched_stage, name
        self.bootstrap_resamples = bootstrap_resamples
        self.reuse_from = Path(reuse_from) if reuse_from else None
        self.chance_level = chance_level
        self.draw_top_fraction, self.draw_candidates = draw_top_fraction, draw_candidates

    @property
    def consumes(self) -> dict[str, type[StageResult]]:
        inputs: dict[str, type[StageResult]] = {
            stage: WeightsResult for stage in self.supernet_stages.values()
        }
        if self.predictor_stage:
            inputs[self.predictor_stage] = PredictorResult
        if self.searched_stage:
            inputs[self.searched_stage] = RetrainResult
        return inputs

    @property
    def writes(self) -> tuple[str, ...]:
        return ("ranking", "ranking.png", "ranking.md")

    def run(self, context: RunContext) -> ReportResult:
        if self.num_archs == 0:
            log.info(f"Stage {self.name!r}: no ranking study (num_archs=0)")
            return ReportResult()
        out = context.output_dir / "ranking"
        archs = self._draw(context)
        truth, selection = self._stand_alone(context, archs, out)
        scores = self._scores(context, archs)
        rows = self._agreement(scores, truth)
        differences = self._tau_differences(scores, truth)
        metrics: dict[str, Any] = {f"{self.name}/architectures": len(archs)}
        if self.draw_top_fraction is not None:
            metrics[f"{self.name}/drawn_from_top_fraction"] = self.draw_top_fraction
        learning = self._learning(truth)
        measured = self.chance_level is not None and len(learning) >= 2
        learning_rows = self._agreement_among(learning, scores, truth) if measured else []
        for row_set, suffix in ((rows, ""), (learning_rows, "_learning")):
            for row in row_set:
                for measure in ("kendall_tau", "spearman", f"top{self.top}_overlap"):
                    metrics[f"{self.name}/{row['scorer']}/{row['metric']}_{measure}{suffix}"] = row[measure]
        if self.chance_level is not None:
            metrics[f"{self.name}/learning_architectures"] = len(learning)
        for d in differences:
            key = f"{self.name}/{d['scorer']}_vs_{d['against']}/{d['metric']}_kendall_tau"
            metrics.update({f"{key}_{measure}": d[measure] for measure in ("difference", "low", "high")})
        metrics.update(self._searched_against_random(context, truth, selection))
        # the best random architecture itself, to read and retrain (nasrec_<dataset>_child model.arch=)
        first, mode = next(iter(self.metrics.items()))
        best = (max if mode == "max" else min)(range(len(archs)), key=lambda i: truth[first][i])
        metrics[f"{self.name}/best_random_arch"] = str(out / f"{best}-{archs[best].hash}" / "arch.json")
        table = self._table(rows, differences, metrics, learning_rows)
        if is_rank_zero():
            summary = {
                "architectures": [a.hash for a in archs],
                "truth": truth,
                "selection": selection,
                "scores": scores,
                "learning": learning,
            }
            agreement = {
                "agreement": rows,
                "agreement_learning": learning_rows,
                "tau_differences": differences,
            }
            write_json(out / "ranking.json", {**summary, **agreement})
            (context.output_dir / "ranking.md").write_text(table)
            self._plot(scores, truth, rows, context.output_dir / "ranking.png")
        log.info(f"Ranking study on {len(archs)} architectures:\n{table}")
        files = {
            "the agreement table": str(context.output_dir / "ranking.md"),
            "scorer against stand-alone, per scorer": str(context.output_dir / "ranking.png"),
            "every score and result": str(out / "ranking.json"),
        }
        return ReportResult(metrics=metrics, files=files)

    def _draw(self, context: RunContext) -> list[Arch]:
        """The R architectures: uniformly from the space, or from the predictor's best share."""
        if self.draw_top_fraction is None:
            return distinct_samples(self.space, self.num_archs, np.random.default_rng(self.seed))
        archs, _ = select_path_set(
            self.space,
            self._predictor(context).predict,
            self.num_archs,
            self.draw_candidates,
            self.draw_top_fraction,
            "pool_random",
            self.seed,
        )
        return archs

    def _predictor(self, context: RunContext) -> ArchPredictor:
        file = context.result(self.predictor_stage, PredictorResult).predictor
        return ArchPredictor.load(file, self.space)

    def _stand_alone(
        self, context: RunContext, archs: Sequence[Arch], out: Path
    ) -> tuple[dict[str, list[float]], list[float]]:
        """Each architecture's test metrics, trained from scratch (finished folders are reused), and
        its best validation value of the monitored metric, higher better (what retraining selects by)."""
        truth: dict[str, list[float]] = {metric: [] for metric in self.metrics}
        selection = []
        reused = self._reused_trainings()
        for index, arch in enumerate(archs):
            label = f"Stand-alone {index + 1}/{len(archs)} ({arch.hash})"
            name = f"{index}-{arch.hash}"
            record = train_child(
                context,
                self.child_key,
                arch,
                out / name,
                label,
                {},
                test=True,
                reuse=reused / name if reused else None,
            )
            for metric in self.metrics:
                truth[metric].append(float(record["metrics"][f"test/{metric}"]))
            best_validation = float(record["metrics"][f"val/{record['monitor']}_best"])
            selection.append(best_validation if record["monitor_mode"] == "max" else -best_validation)
        return truth, selection

    def _learning(self, truth: Mapping[str, list[float]]) -> list[int]:
        """Indices of the architectures whose first metric is better than ``chance_level`` (all of
        them without one)."""
        metric, mode = next(iter(self.metrics.items()))
        values = truth[metric]
        if self.chance_level is None:
            return list(range(len(values)))
        sign = 1.0 if mode == "max" else -1.0
        return [i for i, value in enumerate(values) if sign * (value - self.chance_level) > 0]

    def _reused_trainings(self) -> Path | None:
        """The folder of ``reuse_from``'s stand-alone trainings (``None`` without one)."""
        if self.reuse_from is None:
            return None
        folder = self.reuse_from / "ranking" if (self.reuse_from / "ranking").is_dir() else self.reuse_from
        if not folder.is_dir():
            raise FileNotFoundError(f"Stage {self.name!r}: reuse_from={self.reuse_from} is not a folder")
        return folder

    def _scores(self, context: RunContext, archs: Sequence[Arch]) -> dict[str, dict[str, list[float]]]:
        """scorer -> metric -> score of each architecture."""
        scores: dict[str, dict[str, list[float]]] = {}
        for scorer, stage in self.supernet_stages.items():
            evaluate = self.evaluator(supernet=load_supernet(context, stage), datamodule=context.datamodule)
            results = [evaluate(arch) for arch in archs]
            scores[scorer] = {m: [float(r[m]) for r in results] for m in self.metrics if m in results[0]}
        if self.predictor_stage:
            predicted = self._predictor(context).predict(list(archs)).tolist()
            scores["predictor"] = {self._predicted_metric(): predicted}
        return scores

    def _predicted_metric(self) -> str:
        """The metric the predictor was fitted on: the first compared one higher-is-better (predictors
        learn a quality to maximise)."""
        return next(m for m, mode in self.metrics.items() if mode == "max")

    def _agreement(
        self, scores: Mapping[str, Mapping[str, list[float]]], truth: Mapping[str, list[float]]
    ) -> list[dict]:
        rows = []
        for scorer, by_metric in scores.items():
            for metric, values in by_metric.items():
                sign = 1.0 if self.metrics[metric] == "max" else -1.0
                better = [sign * v for v in values]
                true_better = [sign * v for v in truth[metric]]
                tau, reason = explained_tau(values, truth[metric])
                rows.append(
                    {
                        "scorer": scorer,
                        "metric": metric,
                        "kendall_tau": tau,
                        "kendall_tau_undefined": reason or None,
                        "spearman": spearman(values, truth[metric]),
                        f"top{self.top}_overlap": top_k_overlap(better, true_better, self.top),
                    }
                )
        return rows

    def _agreement_among(
        self,
        indices: Sequence[int],
        scores: Mapping[str, Mapping[str, list[float]]],
        truth: Mapping[str, list[float]],
    ) -> list[dict]:
        """:meth:`_agreement` over the architectures at ``indices`` alone."""
        kept_scores = {
            scorer: {metric: [values[i] for i in indices] for metric, values in by_metric.items()}
            for scorer, by_metric in scores.items()
        }
        kept_truth = {metric: [values[i] for i in indices] for metric, values in truth.items()}
        return self._agreement(kept_scores, kept_truth)

    def _tau_differences(
        self, scores: Mapping[str, Mapping[str, list[float]]], truth: Mapping[str, list[float]]
    ) -> list[dict]:
        """Each supernet scorer after the first against the first, per metric both scored: the tau
        difference and its bootstrap interval at 95%."""
        scorers = list(self.supernet_stages)
        differences = []
        for scorer in scorers[1:]:
            for metric in self.metrics:
                if metric not in scores[scorer] or metric not in scores[scorers[0]]:
                    continue
                if len(set(truth[metric])) < 2:
                    continue  # no order to agree with (the agreement table says why)
                difference, low, high = paired_tau_difference(
                    scores[scorer][metric],
                    scores[scorers[0]][metric],
                    truth[metric],
                    resamples=self.bootstrap_resamples,
                    seed=self.seed,
                )
                differences.append(
                    {
                        "scorer": scorer,
                        "against": scorers[0],
                        "metric": metric,
                        "difference": difference,
                        "low": low,
                        "high": high,
                    }
                )
        return differences

    def _searched_against_random(
        self, context: RunContext, truth: Mapping[str, list[float]], selection: Sequence[float]
    ) -> dict[str, Any]:
        """The searched model against the best of the random architectures, and against a random search
        that retrains as many architectures as the search did and tests the best on validation (exact
        over every draw of the random sample: its expected result, and how often the searched model
        is better than its pick)."""
        if not self.searched_stage:
            return {}
        result = context.result(self.searched_stage, RetrainResult)
        searched = result.metrics
        retrained = min(max(1, len(result.candidates)), len(selection))
        found: dict[str, Any] = {f"{self.name}/random_search_retrained": retrained}
        for metric, mode in self.metrics.items():
            key = f"test/{metric}"
            if key not in searched:
                continue
            best = max(truth[metric]) if mode == "max" else min(truth[metric])
            found[f"{self.name}/best_random_test_{metric}"] = best
            found[f"{self.name}/searched_test_{metric}"] = searched[key]
            beats = searched[key] > best if mode == "max" else searched[key] < best
            found[f"{self.name}/searched_beats_random_{metric}"] = bool(beats)
            expected, beaten = random_search_at_budget(
                selection, truth[metric], retrained, searched[key], mode
            )
            found[f"{self.name}/random_search_test_{metric}"] = expected
            found[f"{self.name}/searched_beats_random_search_{metric}"] = beaten
            # the best of R a user could have picked: retrain all R, test the best on validation
            expected, beaten = random_search_at_budget(
                selection, truth[metric], len(selection), searched[key], mode
            )
            found[f"{self.name}/best_random_by_validation_test_{metric}"] = expected
            found[f"{self.name}/searched_beats_best_random_by_validation_{metric}"] = beaten
        return found

    def _table(
        self,
        rows: Sequence[Mapping[str, Any]],
        differences: Sequence[Mapping[str, Any]],
        metrics: Mapping[str, Any],
        learning_rows: Sequence[Mapping[str, Any]] = (),
    ) -> str:
        def shown(value: Any) -> str:
            return "undefined" if value is None or value != value else f"{value:.3f}"

        header = [
            f"| scorer | metric | Kendall tau | Spearman | top-{self.top} overlap |",
            "|---|---|---:|---:|---:|",
        ]

        def table(row_set: Sequence[Mapping[str, Any]]) -> list[str]:
            return header + [
                f"| {row['scorer']} | {row['metric']} | {shown(row['kendall_tau'])} "
                f"| {shown(row['spearman'])} | {shown(row[f'top{self.top}_overlap'])} |"
                for row in row_set
            ]

        lines = table(rows)
        if self.draw_top_fraction is not None:
            lines.insert(
                0,
                f"Architectures drawn from the best predicted {self.draw_top_fraction} of "
                f"{self.draw_candidates} random ones.\n",
            )
        if self.chance_level is not None:
            count = metrics[f"{self.name}/learning_architectures"]
            lines.append(
                f"\nAmong the {count} architectures that learn (test {next(iter(self.metrics))} beyond "
                f"{self.chance_level}):\n"
            )
            lines += table(learning_rows) if learning_rows else ["(too few to rank)"]
        for d in differences:
            lines.append(
                f"\nKendall tau ({d['metric']}) of {d['scorer']} minus {d['against']}: "
                f"{shown(d['difference'])} (95% paired bootstrap interval {shown(d['low'])} "
                f"to {shown(d['high'])})"
            )
        lines.append(
            f"\nBest random architecture by test {next(iter(self.metrics))}: "
            f"{metrics[f'{self.name}/best_random_arch']}"
        )
        for metric in self.metrics:
            key = f"{self.name}/searched_test_{metric}"
            if key in metrics:
                retrained = metrics[f"{self.name}/random_search_retrained"]
                lines.append(
                    f"\nSearched model test {metric} {metrics[key]:.4f}; best of {self.num_archs} random "
                    f"architectures trained alike {metrics[f'{self.name}/best_random_test_{metric}']:.4f}; "
                    f"a random search retraining {retrained} of them (the best on validation tested) "
                    f"{metrics[f'{self.name}/random_search_test_{metric}']:.4f} expected, the searched "
                    f"model better than its pick with probability "
                    f"{metrics[f'{self.name}/searched_beats_random_search_{metric}']:.2f}; the best of the "
                    f"{self.num_archs} on validation "
                    f"{metrics[f'{self.name}/best_random_by_validation_test_{metric}']:.4f}"
                )
        return "\n".join(lines) + "\n"

    def _plot(self, scores: Mapping, truth: Mapping, rows: Sequence[Mapping], path: Path) -> None:
        from nasforge.core.predictors.plots import plot_rank_agreement

        taus = {(r["scorer"], r["metric"]): r["kendall_tau"] for r in rows}
        panels = {
            f"{scorer} ({metric})": (values, truth[metric], taus[(scorer, metric)])
            for scorer, by_metric in scores.items()
            for metric, values in by_metric.items()
        }
        plot_rank_agreement(panels, path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, num_archs={self.num_archs})"


def _check_pool(top_fraction: float, candidates: int, num_archs: int, predictor_stage: str | None) -> None:
    """Refuse a predicted-top draw that has no predictor or a pool smaller than the study."""
    if predictor_stage is None:
        raise ValueError("RankingStudyStage: draw_top_fraction needs a predictor_stage to rank the draws")
    if not 0.0 < top_fraction <= 1.0:
        raise ValueError(f"RankingStudyStage: draw_top_fraction must be in (0, 1], got {top_fraction}")
    pool = math.ceil(top_fraction * candidates)
    if pool < num_archs:
        raise ValueError(
            f"RankingStudyStage: the best {top_fraction} of {candidates} draws is {pool} architectures, "
            f"fewer than the {num_archs} of the study; raise draw_candidates or draw_top_fraction"
        )

"""The lecture's phenomena in numbers: measures of a finished headless run, and the expectations a
lecture deck states with them, so that "the activations vanish" is a figure a test can check.

A measure maps a run's records (trainer.py) to one float; NaN where the run has no such figure (no
validation split, no hidden layer, a loss that was not finite). NaN passes no bound.

An expectation is ``{"measure": NAME, ...}`` with one or more of ``"below": x``, ``"above": x``
(strictly), ``"below_step": ID``, ``"above_step": ID`` (the same measure of another step of the
deck), and, for the measure ``advice`` only, ``"rule": NAME``: a coach rule (coach.py) whose advice
is 1 when it fired in the run and 0 when not; with no bound it is expected to fire (above 0.5).

No torch here: the window's process reads expectations while loading a deck.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any, Callable, Collection, Optional

from playground.core.coach import RULES
from playground.core.errors import SpecError
from playground.core.registry import Registry

Records = list[dict]


@dataclass(frozen=True)
class Measure:
    compute: Callable[..., float]  # (records) -> float; (records, rule) where ``takes_rule``
    takes_rule: bool = False


def _number(value: Optional[float]) -> float:
    return math.nan if value is None else float(value)


def _epochs(records: Records) -> Records:
    return [r for r in records if r["type"] == "epoch"]


def _last(key: str) -> Callable[[Records], float]:
    """A figure of the last epoch record: a diverged run's is that of its last finite epoch."""
    def compute(records: Records) -> float:
        epochs = _epochs(records)
        return _number(epochs[-1][key]) if epochs else math.nan
    return compute


def _gap(records: Records) -> float:
    epochs = _epochs(records)
    return _number(epochs[-1]["val_loss"]) - _number(epochs[-1]["train_loss"]) if epochs else math.nan


def _val_loss_rise(records: Records) -> float:
    losses = [r["val_loss"] for r in _epochs(records) if r["val_loss"] is not None]
    return losses[-1] - min(losses) if losses else math.nan


def _loss_drop(records: Records) -> float:
    epochs = _epochs(records)
    if not epochs or not epochs[0]["train_loss"]:
        return math.nan
    first, last = epochs[0]["train_loss"], epochs[-1]["train_loss"]
    return (first - last) / first


def _lr_ratio(records: Records) -> float:
    epochs = _epochs(records)
    return epochs[-1]["lr"] / epochs[0]["lr"] if epochs and epochs[0]["lr"] else math.nan


def _loss_wobble(records: Records) -> float:
    losses = [r["train_loss"] for r in _epochs(records)]
    half = losses[len(losses) // 2:]
    if len(half) < 2 or None in half:
        return math.nan
    return statistics.mean(abs(later - earlier) for earlier, later in zip(half, half[1:]))


def _step0_layers(records: Records) -> list[dict]:
    """The hidden layers of the probe of step 0: the untrained network, where init problems show."""
    probe = next((r for r in records if r["type"] == "probe" and r["step"] == 0), None)
    return [layer for layer in probe["layers"] if layer.get("act_std") is not None] if probe else []


def _act_std_ratio(records: Records) -> float:
    layers = _step0_layers(records)
    if len(layers) < 2 or not layers[0]["act_std"]:
        return math.nan
    return layers[-1]["act_std"] / layers[0]["act_std"]


def _saturated(records: Records) -> float:
    fractions = [layer["frac_saturated"] for layer in _step0_layers(records) if layer.get("frac_saturated") is not None]
    return statistics.mean(fractions) if fractions else math.nan


def _diverged(records: Records) -> float:
    if any(r["type"] == "end" and r["reason"] == "diverged" for r in records):
        return 1.0
    epochs = _epochs(records)
    return 1.0 if epochs and not math.isfinite(_number(epochs[-1]["train_loss"])) else 0.0


def _advice(records: Records, rule: str) -> float:
    return 1.0 if any(r["type"] == "advice" and r["rule"] == rule for r in records) else 0.0


MEASURES: Registry[Measure] = Registry("measure")
MEASURES.add("train_loss", Measure(_last("train_loss")), "Training loss",
             "The last epoch's training loss (a diverged run's: its last finite epoch's).")
MEASURES.add("val_loss", Measure(_last("val_loss")), "Validation loss",
             "The last epoch's validation loss (a diverged run's: its last finite epoch's).")
MEASURES.add("train_acc", Measure(_last("train_acc")), "Training accuracy",
             "The last epoch's training accuracy, 0 to 1 (classification only).")
MEASURES.add("val_acc", Measure(_last("val_acc")), "Validation accuracy",
             "The last epoch's validation accuracy, 0 to 1 (classification only).")
MEASURES.add("gap", Measure(_gap), "Generalization gap",
             "The last epoch's validation loss minus its training loss: large when the net memorizes.")
MEASURES.add("val_loss_rise", Measure(_val_loss_rise), "Validation loss rise",
             "The last validation loss minus the lowest one of the run: overfitting climbs back up.")
MEASURES.add("loss_drop", Measure(_loss_drop), "Loss drop",
             "How much of the untrained training loss is gone by the last epoch: 0 nothing, 1 all of it.")
MEASURES.add("lr_ratio", Measure(_lr_ratio), "LR ratio", "The last epoch's LR over the first's: what a decay left.")
MEASURES.add("loss_wobble", Measure(_loss_wobble), "Loss wobble",
             "The mean change of the training loss from one epoch to the next over the run's second half: "
             "a high constant LR keeps it jumping, a decayed LR lets it settle.")
MEASURES.add("act_std_ratio", Measure(_act_std_ratio), "Activation spread ratio",
             "At step 0: the last hidden layer's activation std over the first's (1: the scale is kept).")
MEASURES.add("saturated", Measure(_saturated), "Saturated fraction",
             "At step 0: the mean fraction of tanh/sigmoid outputs at their bounds, over the hidden layers.")
MEASURES.add("diverged", Measure(_diverged), "Diverged",
             "1 when the run diverged (a loss became NaN or infinite), else 0.")
MEASURES.add("advice", Measure(_advice, takes_rule=True), "Coach advice",
             "1 when the coach's rule (\"rule\") gave advice during the run, else 0.")


def measure_value(name: str, records: Records, rule: Optional[str] = None) -> float:
    measure = MEASURES[name]
    return measure.compute(records, rule) if measure.takes_rule else measure.compute(records)


BOUND_KEYS = ("below", "above", "below_step", "above_step", "below_run", "above_run")
EXPECTATION_KEYS = ("measure", "rule", "run", *BOUND_KEYS)


@dataclass(frozen=True)
class Figure:
    """One bound of an expectation, checked: ``value`` against ``bound`` (another step's when ``against``)."""
    label: str  # the measure, ``advice:<rule>`` for advice; ``lr=3: loss`` for a compared run's
    value: float
    relation: str  # "below" or "above"
    bound: float
    against: Optional[str]  # the step (or the compared run) whose measure is the bound
    ok: bool

    def text(self) -> str:
        sign = "<" if self.relation == "below" else ">"
        of = f" ({self.against})" if self.against else ""
        return f"{self.label} {self.value:.3g} {sign} {self.bound:.3g}{of} {'ok' if self.ok else 'FAIL'}"


@dataclass(frozen=True)
class Expectation:
    measure: str
    rule: Optional[str] = None
    below: Optional[float] = None
    above: Optional[float] = None
    below_step: Optional[str] = None
    above_step: Optional[str] = None
    below_run: Optional[str] = None
    above_run: Optional[str] = None
    run: Optional[str] = None  # in a step that compares runs: the run measured

    @classmethod
    def from_dict(cls, raw: Any, step_ids: Collection[str], own_id: str,
                  run_names: Collection[str] = ()) -> "Expectation":
        """Checked against the measures, the coach's rules, the deck's steps of one run
        (``step_ids``) and, in a step that compares runs, its runs' names; a problem is a SpecError
        whose path is relative to the expectation (``measure``, ``below_step``)."""
        if not isinstance(raw, dict):
            raise SpecError("", "must be an object like {\"measure\": \"val_acc\", \"above\": 0.9}")
        unknown = [key for key in raw if key not in EXPECTATION_KEYS]
        if unknown:
            raise SpecError(unknown[0], f"unknown key; known keys are {', '.join(EXPECTATION_KEYS)}")
        measure = raw.get("measure")
        if not isinstance(measure, str) or measure not in MEASURES:
            raise SpecError("measure", f"unknown measure {measure!r}; choose one of {', '.join(MEASURES.names())}")
        rule = raw.get("rule")
        if MEASURES[measure].takes_rule:
            if not isinstance(rule, str) or rule not in RULES:
                raise SpecError("rule", f"unknown coach rule {rule!r}; choose one of {', '.join(RULES.names())}")
        elif "rule" in raw:
            raise SpecError("rule", f"only the measure \"advice\" takes a rule, not {measure!r}")
        for key in ("below", "above"):
            value = raw.get(key)
            if key in raw and (isinstance(value, bool) or not isinstance(value, (int, float))
                               or not math.isfinite(value)):
                raise SpecError(key, f"must be a finite number, got {value!r}")
        for key in ("below_step", "above_step"):
            if key not in raw:
                continue
            if raw[key] == own_id:
                raise SpecError(key, "compares the step with itself; name another step")
            if raw[key] not in step_ids:
                raise SpecError(key, f"no step {raw[key]!r} in this deck that trains one run")
        cls._check_runs(raw, run_names)
        if not any(key in raw for key in BOUND_KEYS) and rule is None:
            raise SpecError("", f"give at least one of {', '.join(BOUND_KEYS)}")
        return cls(measure, rule, *(raw.get(key) for key in BOUND_KEYS), raw.get("run"))

    @staticmethod
    def _check_runs(raw: dict, run_names: Collection[str]) -> None:
        keys = [key for key in ("run", "below_run", "above_run") if key in raw]
        if not run_names:
            if keys:
                raise SpecError(keys[0], "only a step that compares runs names a run")
            return
        if "run" not in raw:
            raise SpecError("run", f"a step that compares runs measures one of them: {', '.join(run_names)}")
        for key in keys:
            if raw[key] not in run_names:
                raise SpecError(key, f"no run {raw[key]!r} in this step; its runs: {', '.join(run_names)}")
            if key != "run" and raw[key] == raw["run"]:
                raise SpecError(key, "compares the run with itself; name another run")

    @property
    def label(self) -> str:
        label = f"{self.measure}:{self.rule}" if self.rule else self.measure
        return f"{self.run}: {label}" if self.run else label

    def figures(self, records: Records, other_records: Callable[[str], Records],
                run_records: Optional[Callable[[str], Records]] = None) -> list[Figure]:
        """Every bound checked on a run's records; ``other_records(id)`` gives another step's run,
        ``run_records(name)`` a run of this step when it compares runs (and then ``records`` is unused)."""
        value = measure_value(self.measure, run_records(self.run) if self.run else records, self.rule)
        bounds = [("above", self.above, None), ("below", self.below, None)]
        for relation, step in (("above", self.above_step), ("below", self.below_step)):
            if step:
                bounds.append((relation, measure_value(self.measure, other_records(step), self.rule), step))
        for relation, run in (("above", self.above_run), ("below", self.below_run)):
            if run:
                bounds.append((relation, measure_value(self.measure, run_records(run), self.rule), run))
        if all(bound is None for _, bound, _ in bounds):
            bounds = [("above", 0.5, None)]  # a rule alone: it fires
        return [Figure(self.label, value, relation, bound, step,
                       value < bound if relation == "below" else value > bound)
                for relation, bound, step in bounds if bound is not None]

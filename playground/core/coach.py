"""The coach: rules that watch a run's records and explain what goes wrong, with a fix to try.

Each rule looks at the epoch, probe, message and end records of one run (never the per-step
losses: the hot path stays cheap) and fires at most once per run, as an advice record:

    {"type": "advice", "rule", "text", "fix": {path: value}, "step", "epoch"}

``fix`` is a change ``Experiment.with_changes`` accepts (``{"optim.lr": 0.3}``); it is empty only
where no single change makes sense. ``epoch`` counts the epochs completed when the rule fired.
The trainer feeds every record to a ``Coach`` and sends its advice right after the record (with
``"run"`` like every record). The thresholds sit far from what the healthy presets show (see
tests/core/test_coach.py and README's "What a run reports"). No torch here.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Callable, Optional

from playground.core.optimizers import OPTIMIZERS, resolved_lr
from playground.core.registry import Registry
from playground.core.spec import Experiment

# thresholds (the measured values of the presets are in README's rule table)
EXPLODING_TEXT = "The loss is exploding"  # the trainer's warning (trainer._check_exploding)
LOW_LR_FALL = 0.05  # lr_too_low: training loss fell less than 5% of the untrained loss ...
LOW_LR_EPOCHS = 5  # ... after at least 5 epochs and 10% of the planned ones
DEAD_FRACTION = 0.7  # dead_relu: a layer with over 70% of its units dead in one probe ...
DEAD_AFTER_PROBES = 2  # ... not counting the first 2 probes (a fresh net is not judged)
VANISHING = 1e-2  # vanishing: last hidden layer's std below 1% of the first's, in epoch 1
SATURATED = 0.5  # saturated: over half of the outputs at a bound, in most tanh/sigmoid layers, epoch 1
OVERFIT_RISE = 2.5  # overfitting: validation loss at 2.5x its minimum or more ...
OVERFIT_EPOCHS = 3  # ... for 3 epochs in a row, while training loss is below its value then
RATIO_LOW, RATIO_HIGH = 1e-7, 0.3  # update_ratio: median update/weight ratio outside this band ...
RATIO_PROBES = 2  # ... in 2 probes in a row
RATIO_TARGET = 1e-3  # the lecture's rule of thumb

INIT_RULES = ("vanishing", "saturated")  # a broken init also keeps the loss and the updates small


@dataclass
class RunState:
    """What the coach has seen of one run so far."""
    exp: Experiment
    epoch: int = 0  # epochs completed (the last epoch record's)
    step: int = 0
    first: Optional[dict] = None  # the first epoch record (the untrained network, or a checkpoint's)
    probes: int = 0  # probe records seen
    fired: set = field(default_factory=set)
    memo: dict = field(default_factory=dict)  # a rule's own counters, by rule name

    @property
    def has_lr(self) -> bool:
        return not OPTIMIZERS[self.exp.optim.name].full_batch

    @property
    def lr(self) -> float:
        return resolved_lr(self.exp.optim)

    @property
    def first_epoch(self) -> bool:
        """Still in the first epoch of training (where init problems show)."""
        return self.first is None or self.epoch == self.first["epoch"]


Finding = tuple[str, dict]  # (text, fix)


@dataclass(frozen=True)
class Rule:
    watches: frozenset  # the record types it looks at
    check: Callable[[dict, RunState], Optional[Finding]]


def _num(x: float) -> float:
    """A tidy number for a fix: 3 significant digits (0.3, not 0.30000000000000004)."""
    return float(f"{x:.3g}")


def _lr_fix(state: RunState, factor: float) -> dict:
    return {"optim.lr": _num(state.lr * factor)}


def _init_fix(exp: Experiment) -> dict:
    """Xavier for tanh/sigmoid, Kaiming for the ReLU family; batch norm where the init already is."""
    bounded = exp.model.activation in ("tanh", "sigmoid", "linear")
    init = "xavier_uniform" if bounded else "kaiming_normal"
    if exp.model.init != init:
        return {"model.init": init}
    return {"model.norm": "batchnorm"} if exp.model.norm == "none" else {}


def _hidden(layers: list[dict]) -> list[dict]:
    return [layer for layer in layers if layer.get("act_std") is not None]


# -- the rules ----------------------------------------------------------------------------------

def _diverging(record: dict, state: RunState) -> Optional[Finding]:
    if record["type"] == "end":
        if record.get("reason") != "diverged":
            return None
        became = "infinite" if "became infinite" in record.get("message", "") else "NaN"
        what = f"The loss became {became} at step {record.get('step')} (epoch {record.get('epoch', 0) + 1})"
    elif record.get("level") == "warning" and record.get("text", "").startswith(EXPLODING_TEXT):
        what = f"The loss is exploding: every batch of epoch {state.epoch} stayed far above the untrained loss"
    else:
        return None
    exp = state.exp
    if state.has_lr:
        lr = state.lr
        why = (f" (the loss is summed over each batch of {exp.train.batch_size}, so the steps are that much larger)"
               if exp.train.reduction == "sum" else "")
        return (f"{what}: the learning rate {lr:g} is too high for {exp.optim.name}{why}, so each step "
                f"overshoots the minimum. Try a tenth of it, {_num(lr / 10):g}.", _lr_fix(state, 0.1))
    if exp.data.preprocess == "none":
        return (f"{what}: L-BFGS's line search could not keep it finite. Standardized inputs give it a "
                f"better-shaped loss.", {"data.preprocess": "standardize"})
    return (f"{what}: L-BFGS's line search could not keep it finite; try a smaller network.", {})


def _lr_too_low(record: dict, state: RunState) -> Optional[Finding]:
    first = state.first
    if not state.has_lr or first is None or first["train_loss"] is None or record["train_loss"] is None:
        return None
    if state.fired & set(INIT_RULES):
        return None  # the init is the problem there, not the LR
    done = record["epoch"] - first["epoch"]
    if done < max(LOW_LR_EPOCHS, math.ceil(0.1 * state.exp.train.epochs)):
        return None
    start, now = first["train_loss"], record["train_loss"]
    if start <= 0 or (start - now) / start >= LOW_LR_FALL:
        return None
    lr = state.lr
    return (f"The training loss barely moves: {start:.3g} to {now:.3g} in {done} epochs "
            f"({100 * (start - now) / start:.1f}% down). The learning rate {lr:g} looks too low; "
            f"try ten times more, {_num(lr * 10):g}.", _lr_fix(state, 10))


def _dead_relu(record: dict, state: RunState) -> Optional[Finding]:
    if state.probes <= DEAD_AFTER_PROBES:
        return None
    dead = [layer for layer in record["layers"] if (layer.get("frac_dead_units") or 0) > DEAD_FRACTION]
    if not dead:
        return None
    worst = max(dead, key=lambda layer: layer["frac_dead_units"])
    exp = state.exp
    if exp.model.activation == "relu":
        fix, tip = {"model.activation": "leaky_relu"}, "Leaky ReLU keeps a small slope below 0, so a unit can come back"
    elif not exp.model.init.startswith("kaiming"):
        fix, tip = {"model.init": "kaiming_normal"}, "Kaiming init starts ReLU units at a healthy spread"
    elif state.has_lr:
        fix, tip = _lr_fix(state, 0.1), "a lower learning rate knocks fewer units out"
    else:
        fix, tip = {}, "try Leaky ReLU"
    return (f"Layer {worst['name']}: {100 * worst['frac_dead_units']:.0f}% of its ReLU units output 0 for every "
            f"example of a batch at step {record['step']} (dead ReLUs: they get no gradient and stop "
            f"learning). {tip}.", fix)


def _vanishing(record: dict, state: RunState) -> Optional[Finding]:
    layers = _hidden(record["layers"])
    if not state.first_epoch or len(layers) < 3:
        return None
    first, last = layers[0]["act_std"], layers[-1]["act_std"]
    if first <= 0 or last >= VANISHING * first:
        return None
    fix = _init_fix(state.exp)
    what = ", ".join(f"{k}={v}" for k, v in fix.items()) or "batch norm"
    return (f"The activations vanish layer after layer: std {first:.2g} in {layers[0]['name']} down to "
            f"{last:.2g} in {layers[-1]['name']} at step {record['step']}, so the gradients vanish too. "
            f"The weights start too small for {len(layers)} layers: try {what}.", fix)


def _saturated(record: dict, state: RunState) -> Optional[Finding]:
    bounded = [layer for layer in record["layers"] if layer.get("frac_saturated") is not None]
    if not state.first_epoch or len(bounded) < 2:
        return None
    full = [layer for layer in bounded if layer["frac_saturated"] > SATURATED]
    if len(full) * 2 <= len(bounded):
        return None
    fix = _init_fix(state.exp)
    what = ", ".join(f"{k}={v}" for k, v in fix.items()) or "batch norm"
    mean = statistics.mean(layer["frac_saturated"] for layer in full)
    return (f"The activations saturate: in {len(full)} of {len(bounded)} layers over half the outputs sit at "
            f"the bounds (on average {100 * mean:.0f}%) at step {record['step']}, where the gradient is 0. "
            f"The weights start too large: try {what}.", fix)


def _overfitting(record: dict, state: RunState) -> Optional[Finding]:
    val, train = record.get("val_loss"), record.get("train_loss")
    if val is None or train is None:
        return None
    memo = state.memo.setdefault("overfitting", {"best": None, "streak": 0})
    best = memo["best"]
    if best is None or val < best["val_loss"]:
        memo["best"], memo["streak"] = record, 0
        return None
    rising = val >= OVERFIT_RISE * best["val_loss"] and train < best["train_loss"]
    memo["streak"] = memo["streak"] + 1 if rising else 0
    if memo["streak"] < OVERFIT_EPOCHS:
        return None
    exp = state.exp
    if exp.model.dropout == 0:
        fix, tip = {"model.dropout": 0.5}, "Dropout 0.5 (or L2, augmentation, more data) makes memorizing harder"
    else:
        wd = exp.optim.weight_decay
        fix = {"optim.weight_decay": _num(wd * 10) if wd else 0.01}
        tip = "Stronger L2 (or augmentation, more data) makes memorizing harder"
    return (f"Overfitting: the validation loss rose from {best['val_loss']:.3g} (epoch {best['epoch']}) to "
            f"{val:.3g} while the training loss kept falling ({best['train_loss']:.3g} to {train:.3g}): "
            f"the net memorizes the training data. {tip}.", fix)


def _update_ratio(record: dict, state: RunState) -> Optional[Finding]:
    if not state.has_lr:
        return None  # L-BFGS has no learning rate to change
    ratios = [r for layer in record["layers"] if (r := layer.get("update_ratio"))]  # frozen layers: 0
    memo = state.memo.setdefault("update_ratio", {"streak": 0})
    if not ratios:
        return None
    median = statistics.median(ratios)
    low, high = median < RATIO_LOW, median > RATIO_HIGH
    if low and state.fired & set(INIT_RULES):
        return None
    memo["streak"] = memo["streak"] + 1 if (low or high) else 0
    if memo["streak"] < RATIO_PROBES:
        return None
    power = min(max(round(math.log10(RATIO_TARGET / median)), -2), 4) or (1 if low else -1)
    factor = 10.0 ** power
    lr = state.lr
    return (f"Each update changes the weights by {median:.2g} of their size (median over layers at step "
            f"{record['step']}); about 1e-3 is healthy. The learning rate {lr:g} is far too "
            f"{'low' if low else 'high'}: try {_num(lr * factor):g}.", _lr_fix(state, factor))


RULES: Registry[Rule] = Registry("coach rule")
RULES.add("diverging", Rule(frozenset({"end", "message"}), _diverging), "Loss exploding or NaN",
          "The loss became NaN or infinite, or stays far above where it started: the learning rate is too "
          "high, each step overshoots. Fix: a tenth of the LR.")
RULES.add("lr_too_low", Rule(frozenset({"epoch"}), _lr_too_low), "Loss barely moving",
          f"After {LOW_LR_EPOCHS}+ epochs (and 10% of the plan) the training loss fell less than "
          f"{100 * LOW_LR_FALL:g}% of the untrained loss: the steps are too small. Fix: ten times the LR.")
RULES.add("dead_relu", Rule(frozenset({"probe"}), _dead_relu), "Dead ReLUs",
          f"A layer with over {100 * DEAD_FRACTION:g}% of its units at 0 for a whole batch: they get no gradient "
          "and never recover. Fix: Leaky ReLU (or Kaiming init, or a lower LR).")
RULES.add("vanishing", Rule(frozenset({"probe"}), _vanishing), "Activations vanishing",
          "In the first epoch the last hidden layer's std is under 1% of the first's: the init is too small "
          "for the depth. Fix: Xavier (tanh, sigmoid) or Kaiming (ReLU) init, or batch norm.")
RULES.add("saturated", Rule(frozenset({"probe"}), _saturated), "Activations saturating",
          "In the first epoch most tanh/sigmoid layers have over half their outputs at the bounds, where the "
          "gradient is 0: the init is too large. Fix: Xavier init, or batch norm.")
RULES.add("overfitting", Rule(frozenset({"epoch"}), _overfitting), "Overfitting",
          f"The validation loss stays at {OVERFIT_RISE:g}x its minimum or more for {OVERFIT_EPOCHS} epochs "
          "while the training loss keeps falling. Fix: dropout 0.5 (or L2, augmentation, more data).")
RULES.add("update_ratio", Rule(frozenset({"probe"}), _update_ratio), "Update/weight ratio",
          f"The median update/weight ratio stays below {RATIO_LOW:g} or above {RATIO_HIGH:g} for "
          f"{RATIO_PROBES} probes; about 1e-3 is healthy. Fix: the LR scaled by powers of ten toward 1e-3.")


class Coach:
    """Feed it every record of a run; it answers the advice records due (each rule at most once)."""

    def __init__(self, exp: Experiment):
        self.state = RunState(exp)  # exp is the run's own: a new LR set during the run is seen
        self.watched = frozenset().union(*(entry.value.watches for entry in RULES))

    def feed(self, record: dict) -> list[dict]:
        kind = record.get("type")
        if kind not in self.watched:
            return []
        state = self.state
        if kind == "epoch":
            state.epoch = record["epoch"]
            if state.first is None:
                state.first = record
        elif kind == "probe":
            state.probes += 1
        if "step" in record:
            state.step = record["step"]
        advice = []
        for entry in RULES:
            if entry.name in state.fired or kind not in entry.value.watches:
                continue
            found = entry.value.check(record, state)
            if found is not None:
                state.fired.add(entry.name)
                text, fix = found
                advice.append({"type": "advice", "rule": entry.name, "text": text, "fix": fix,
                               "step": state.step, "epoch": state.epoch})
        return advice

"""Learning-rate schedules as pure functions of the epoch: preview a curve without training."""

from __future__ import annotations

import math
from typing import Callable

from playground.core.registry import Registry
from playground.core.spec import ScheduleSpec

# (t in epochs since warm-up ended, spec, epochs after warm-up) -> factor of the base LR
Decay = Callable[[int, ScheduleSpec, int], float]


def constant(t, s, total):
    return 1.0


def step(t, s, total):
    return s.gamma ** (t // s.step_epochs)


def exponential(t, s, total):
    return math.exp(-s.k * t)


def inverse_time(t, s, total):
    return 1.0 / (1.0 + s.k * t)


def cosine(t, s, total):
    return 0.5 * (1.0 + math.cos(math.pi * t / max(total, 1)))


SCHEDULES: Registry[Decay] = Registry("schedule")
SCHEDULES.add("constant", constant, "Constant", "The same LR throughout. Start here; add decay where the loss plateaus.")
SCHEDULES.add("step", step, "Step decay",
              "Multiply the LR by gamma (e.g. half) every few epochs. Common with SGD + momentum.")
SCHEDULES.add("exponential", exponential, "Exponential decay", "lr = lr0 * exp(-k t), t in epochs.")
SCHEDULES.add("inverse_time", inverse_time, "1/t decay", "lr = lr0 / (1 + k t), t in epochs.")
SCHEDULES.add("cosine", cosine, "Cosine", "Half a cosine from lr0 down to 0 over the planned epochs.")


def lr_factor(spec: ScheduleSpec, epoch: int, epochs: int) -> float:
    """Factor of the base LR during ``epoch`` (0 = the first epoch) of a run of ``epochs``.

    Warm-up rises linearly over the first ``warmup_epochs`` (lr0/W, 2 lr0/W, ... lr0); the decay's
    t counts epochs from the end of the warm-up.
    """
    warm = spec.warmup_epochs
    if epoch < warm:
        return (epoch + 1) / warm
    return SCHEDULES[spec.name](epoch - warm, spec, epochs - warm)


def lr_curve(spec: ScheduleSpec, lr0: float, epochs: int) -> list[float]:
    """The LR of every epoch, for a preview plot."""
    return [lr0 * lr_factor(spec, e, epochs) for e in range(epochs)]

"""Learning-rate schedules as pure functions of the epoch: preview a curve without training.

Each schedule is a small function ``(t, total, **params)`` giving the factor of the base LR, where
``t`` counts epochs since the warm-up ended and ``total`` is the number of epochs after it. Its
parameters are its keyword arguments, named like the ``schedule`` section's fields: the window shows
those fields for it, and the exporter pastes the function into the script as it is written here.
"""

from __future__ import annotations

import functools
import inspect
import math
from typing import TYPE_CHECKING, Callable, Iterable, Optional

from playground.core.registry import Registry

if TYPE_CHECKING:
    from playground.core.spec import ScheduleSpec

Decay = Callable[..., float]


def constant_lr(t: int, total: int) -> float:
    """The same learning rate in every epoch."""
    return 1.0


def step_decay(t: int, total: int, gamma: float, step_epochs: int) -> float:
    """Multiply the learning rate by gamma every step_epochs epochs."""
    return gamma ** (t // step_epochs)


def exponential_decay(t: int, total: int, k: float) -> float:
    """lr0 * exp(-k t)."""
    return math.exp(-k * t)


def inverse_time_decay(t: int, total: int, k: float) -> float:
    """lr0 / (1 + k t)."""
    return 1.0 / (1.0 + k * t)


def cosine_decay(t: int, total: int) -> float:
    """Half a cosine from lr0 down to 0 over the planned epochs."""
    return 0.5 * (1.0 + math.cos(math.pi * t / max(total, 1)))


SCHEDULES: Registry[Decay] = Registry("schedule")
SCHEDULES.add("constant", constant_lr, "Constant",
              "The same LR throughout. Start here; add decay where the loss plateaus.")
SCHEDULES.add("step", step_decay, "Step decay",
              "Multiply the LR by gamma (e.g. half) every few epochs. Common with SGD + momentum.")
SCHEDULES.add("exponential", exponential_decay, "Exponential decay", "lr = lr0 * exp(-k t), t in epochs.")
SCHEDULES.add("inverse_time", inverse_time_decay, "1/t decay", "lr = lr0 / (1 + k t), t in epochs.")
SCHEDULES.add("cosine", cosine_decay, "Cosine", "Half a cosine from lr0 down to 0 over the planned epochs.")


def schedule_params(name: str) -> tuple[str, ...]:
    """The ``schedule`` fields a schedule reads: its keyword arguments after ``t`` and ``total``."""
    return _keyword_params(SCHEDULES[name])


@functools.lru_cache(maxsize=None)
def _keyword_params(decay: Decay) -> tuple[str, ...]:
    return tuple(inspect.signature(decay).parameters)[2:]  # a curve asks for each epoch: read once


def lr_factor(spec: "ScheduleSpec", epoch: int, epochs: int) -> float:
    """Factor of the base LR during ``epoch`` (0 = the first epoch) of a run of ``epochs``.

    Warm-up rises linearly over the first ``warmup_epochs`` (lr0/W, 2 lr0/W, ... lr0); the decay's
    t counts epochs from the end of the warm-up.
    """
    warm = spec.warmup_epochs
    if epoch < warm:
        return (epoch + 1) / warm
    params = {name: getattr(spec, name) for name in schedule_params(spec.name)}
    return SCHEDULES[spec.name](epoch - warm, epochs - warm, **params)


def lr_curve(spec: "ScheduleSpec", lr0: float, epochs: int, at: Optional[Iterable[int]] = None) -> list[float]:
    """The LR of every epoch of a run of ``epochs``, or of the epochs ``at`` only (a preview of a
    million epochs samples a thousand)."""
    return [lr0 * lr_factor(spec, int(e), epochs) for e in (range(epochs) if at is None else at)]

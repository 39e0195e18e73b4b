"""Optimizers' paths over 2-parameter loss surfaces: the lecture's animated figure, computed by the
same optimizer registry and torch.optim code that trains the networks.

A surface's loss is written with arithmetic only, so one function takes numpy grids (the picture,
drawn in the window's process, which never imports torch) and torch tensors (autograd gives the
gradient, in the process that steps the paths). Positions are float64 throughout.

``PathStepper`` advances several optimizers from one start, a step at a time, for animation; its LR
can change between two steps. ``optimizer_path`` is one optimizer's whole path through the same
stepper. ``serve_paths`` runs a stepper in a child process, driven over a pipe by the window.

L-BFGS (a ``full_batch`` entry) steps with a closure, as in training: one step of the path is one
``step(closure)`` call, up to ``max_iter`` evaluations with a line search.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

import numpy as np

from playground.core.optimizers import OPTIMIZERS
from playground.core.registry import Registry

if TYPE_CHECKING:
    import torch

MAX_STEPS = 10_000
MAX_LR = 10.0
# a coordinate this far out has left any picture for good; float64 would take thousands of steps
# more to overflow, so the path is stopped here as diverged
DIVERGED_BEYOND = 1e6

Point = tuple[float, float]


@dataclass(frozen=True)
class Surface:
    loss: Callable[[Any, Any], Any]  # (x, y) -> loss, for numpy arrays and torch tensors alike
    start: Point
    x_range: Point
    y_range: Point
    minima: tuple[Point, ...]  # the global minimum first
    lr: float  # one LR for every path that shows the surface's lesson

    def distance_to_minimum(self, positions: np.ndarray) -> np.ndarray:
        """Distance of each (x, y) row to the nearest minimum."""
        points = np.asarray(positions, dtype=float).reshape(-1, 2)
        return np.min([np.hypot(*(points - m).T) for m in self.minima], axis=0)

    def grid(self, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """xs (size,), ys (size,), and the loss (size, size) with row i at ys[i]."""
        xs = np.linspace(*self.x_range, size)
        ys = np.linspace(*self.y_range, size)
        gx, gy = np.meshgrid(xs, ys)
        return xs, ys, self.loss(gx, gy)


SURFACES: Registry[Surface] = Registry("surface")
SURFACES.add("saddle", Surface(lambda x, y: x**2 - y**2 + y**4 / 4, start=(1.0, 1e-3), x_range=(-2.0, 2.0),
                               y_range=(-2.0, 2.0), minima=((0.0, 2**0.5), (0.0, -(2**0.5))), lr=0.01),
             "Saddle point",
             "x² − y² + y⁴/4: downhill along y from the saddle at (0, 0), but from just beside it the slope "
             "that way is tiny. SGD's step is as small as the gradient and lingers for hundreds of steps; "
             "RMSProp and Adam divide by the gradient's size and walk off at once.")
SURFACES.add("ravine", Surface(lambda x, y: 0.5 * (x**2 + 50 * y**2), start=(-4.5, 1.0), x_range=(-5.0, 5.0),
                               y_range=(-1.2, 1.2), minima=((0.0, 0.0),), lr=0.025),
             "Ravine",
             "½(x² + 50y²): 50 times steeper across than along. SGD crawls along the floor; at this LR its "
             "overshoot across dies out in a few steps, at LR 0.038 it bounces from wall to wall. Momentum "
             "gathers speed along the floor and arrives far sooner, swinging across in slow, wide arcs "
             "(Nesterov's look-ahead diverges above LR 0.027 here); RMSProp and Adam scale each direction by "
             "its own gradient's size and go almost straight.")
SURFACES.add("rosenbrock", Surface(lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2, start=(-1.5, 2.0),
                                   x_range=(-2.0, 2.0), y_range=(-1.0, 3.0), minima=((1.0, 1.0),), lr=2e-3),
             "Rosenbrock",
             "(1 − x)² + 100(y − x²)²: a curved, flat-bottomed banana valley with its minimum at (1, 1). "
             "Finding the valley is easy, following it is slow; from this start SGD diverges at LR 0.0025, "
             "while Adam, whose step is about LR whatever the gradient, takes 0.1.")
SURFACES.add("local_minimum", Surface(lambda x, y: x**4 / 4 - 7 * x**2 / 8 - 3 * x / 4 + y**2, start=(-2.0, 1.0),
                                      x_range=(-2.5, 2.5), y_range=(-1.5, 1.5), minima=((1.5, 0.0), (-1.0, 0.0)),
                                      lr=0.02),
             "Local minimum",
             "x⁴/4 − 7x²/8 − 3x/4 + y²: a shallow dip at x = −1 behind a low ridge, the deep minimum at "
             "x = 1.5. SGD stops in the first dip it meets; momentum arrives with speed and rolls over the ridge.")


# -- bounds on what a user types ------------------------------------------------------------------
def check_steps(steps: int) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int) or not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"steps: must be a whole number from 0 to {MAX_STEPS}, got {steps!r}")
    return steps


def check_lr(lr: float) -> float:
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and 0 < lr <= MAX_LR):
        raise ValueError(f"lr: must be > 0 and at most {MAX_LR:g}, got {lr!r}")
    return float(lr)


def check_start(surface: Surface, start: Sequence[float]) -> Point:
    """Inside the surface's picture, where the path can be seen to begin."""
    if len(start) != 2:
        raise ValueError(f"start: must be a point (x, y), got {start!r}")
    for axis, value, (lo, hi) in (("x", start[0], surface.x_range), ("y", start[1], surface.y_range)):
        if not (isinstance(value, (int, float)) and lo <= value <= hi):
            raise ValueError(f"start.{axis}: must be from {lo:g} to {hi:g}, got {value!r}")
    return float(start[0]), float(start[1])


# -- stepping ---------------------------------------------------------------------------------------
@dataclass
class Path:
    """One optimizer's positions and losses so far; a diverged path stops at its last finite point."""

    name: str
    positions: list[Point] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    diverged_at: Optional[int] = None  # the step whose result was not finite (or far out)

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None


@dataclass(frozen=True)
class PathResult:
    positions: np.ndarray  # (steps + 1, 2), fewer rows if it diverged
    losses: np.ndarray
    diverged: bool


class _Runner:
    """An optimizer built as training builds it (registry, spec, ``build_optimizer``) over one point."""

    def __init__(self, surface: Surface, name: str, start: Point, lr: float, options: dict):
        import torch

        from playground.core.optimizers import build_optimizer
        from playground.core.spec import Experiment

        spec = Experiment.from_dict({"optim": {"name": name, "lr": lr, **options}}).optim  # checks the options
        self.surface = surface
        self.point = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        self.optimizer = build_optimizer([{"params": [self.point]}], spec)
        self.full_batch = OPTIMIZERS[name].full_batch
        self.path = Path(name, [start], [self._loss_now()])

    def _loss(self) -> "torch.Tensor":
        return self.surface.loss(self.point[0], self.point[1])

    def _loss_now(self) -> float:
        import torch

        with torch.no_grad():
            return float(self._loss())

    def _closure(self) -> "torch.Tensor":
        self.optimizer.zero_grad()
        loss = self._loss()
        loss.backward()
        return loss

    def step(self, number: int) -> None:
        if self.path.diverged:
            return
        if self.full_batch:
            self.optimizer.step(self._closure)
        else:
            self._closure()
            self.optimizer.step()
        x, y = (float(v) for v in self.point.detach())
        loss = self._loss_now()
        if not all(math.isfinite(v) and abs(v) <= DIVERGED_BEYOND for v in (x, y)) or not math.isfinite(loss):
            self.path.diverged_at = number
            return
        self.path.positions.append((x, y))
        self.path.losses.append(loss)

    def set_lr(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr * group["lr_scale"]


class PathStepper:
    """Several optimizers on one surface from one start, advanced together a step at a time.
    ``options`` are optimizer fields of the spec (``momentum=0.5``) given to every optimizer."""

    def __init__(self, surface: str, optimizers: Sequence[str], start: Optional[Sequence[float]] = None,
                 lr: Optional[float] = None, **options):
        self.surface = SURFACES[surface]
        for name in optimizers:
            OPTIMIZERS.entry(name)  # an unknown name fails here, with the choices
        self.names = list(optimizers)
        self.options = options
        self.lr = check_lr(self.surface.lr if lr is None else lr)
        self.restart(self.surface.start if start is None else start)

    def restart(self, start: Optional[Sequence[float]] = None) -> None:
        """Every path again from ``start`` (the same start if None), with fresh optimizer state."""
        if start is not None:
            self.start = check_start(self.surface, start)
        self.steps = 0
        self._runners = {name: _Runner(self.surface, name, self.start, self.lr, self.options) for name in self.names}

    def set_lr(self, lr: float) -> None:
        """The running paths continue with ``lr``; their optimizer state (velocity, averages) stays."""
        self.lr = check_lr(lr)
        for runner in self._runners.values():
            runner.set_lr(self.lr)

    @property
    def paths(self) -> dict[str, Path]:
        return {name: runner.path for name, runner in self._runners.items()}

    def step(self, count: int = 1) -> int:
        """Up to ``count`` more steps, never past MAX_STEPS in all; returns how many were taken."""
        count = min(check_steps(count), MAX_STEPS - self.steps)
        for _ in range(count):
            self.steps += 1
            for runner in self._runners.values():
                runner.step(self.steps)
        return count


def optimizer_path(surface: str, optimizer_name: str, start: Optional[Sequence[float]] = None,
                   lr: Optional[float] = None, steps: int = 100, **options) -> PathResult:
    """One optimizer's path: positions (steps + 1, 2) from ``start``, and the loss at each."""
    check_steps(steps)
    stepper = PathStepper(surface, [optimizer_name], start, lr, **options)
    stepper.step(steps)
    path = stepper.paths[optimizer_name]
    return PathResult(np.array(path.positions), np.array(path.losses), path.diverged)


# -- the child process ---------------------------------------------------------------------------------
def serve_paths(conn) -> None:
    """Commands in, new positions out, until "quit" or the pipe closes. Every reply carries the
    generation of the ``start`` command it answers, so the window drops what an older start made.

    ("start", generation, surface, optimizers, start, lr)  a new stepper, nothing sent
    ("lr", lr)                                              the running paths continue with lr
    ("step", count)  -> ("steps", generation, steps, {name: (new positions (k, 2), diverged_at)})
    An error (a bad value) -> ("error", generation, message).
    """
    from playground.core.devices import use_few_threads

    use_few_threads()
    stepper: Optional[PathStepper] = None
    generation = 0
    while True:
        try:
            command, *args = conn.recv()
        except (EOFError, OSError):
            return
        if command == "quit":
            return
        try:
            if command == "start":
                generation, surface, optimizers, start, lr = args
                stepper = PathStepper(surface, optimizers, start, lr)
            elif stepper is None:
                continue
            elif command == "lr":
                stepper.set_lr(args[0])
            elif command == "step":
                sent = {name: len(path.positions) for name, path in stepper.paths.items()}
                stepper.step(args[0])
                news = {name: (np.array(path.positions[sent[name]:]).reshape(-1, 2), path.diverged_at)
                        for name, path in stepper.paths.items()}
                conn.send(("steps", generation, stepper.steps, news))
        except (ValueError, KeyError) as e:
            conn.send(("error", generation, str(e)))
        except (BrokenPipeError, OSError):
            return

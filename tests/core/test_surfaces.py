"""Optimizers' paths on the 2D loss surfaces: the lecture's claims about them, in numbers.

Measured (float64, deterministic) when these tests were written: ravine at LR 0.025, 100 steps:
SGD ends 0.358 from the minimum, momentum 0.021; in the first 30 steps SGD's y changes sign 30
times, momentum's 12. Saddle from (1, 0.001) at LR 0.01, steps until |y| > 0.5: RMSProp 6, Adam 44,
SGD 318. Rosenbrock, 1000 steps: SGD at LR 0.002 (0.0025 diverges) ends 0.034 from (1, 1), Adam at
LR 0.1 ends 0.0018.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from playground.core.optimizers import OPTIMIZERS, Optimizer
from playground.core.registry import Entry
from playground.core.surfaces import MAX_STEPS, SURFACES, PathStepper, optimizer_path


def distance(surface: str, result) -> float:
    return float(SURFACES[surface].distance_to_minimum(result.positions[-1])[0])


def sign_changes(values: np.ndarray) -> int:
    signs = np.sign(values)
    return int((signs[1:] != signs[:-1]).sum())


def steps_until(result, leaves) -> int:
    """The first step whose position satisfies ``leaves``; the path's length if none does."""
    hits = np.flatnonzero(leaves(result.positions))
    return int(hits[0]) if len(hits) else len(result.positions)


def test_every_surface_is_lowest_at_its_minima_and_starts_inside_its_picture():
    for entry in SURFACES:
        surface = entry.value
        loss = surface.grid(101)[2]
        best = surface.loss(*np.array(surface.minima[0]))
        assert best <= loss.min() + 1e-9, entry.name
        assert surface.x_range[0] <= surface.start[0] <= surface.x_range[1]
        assert surface.y_range[0] <= surface.start[1] <= surface.y_range[1]
        assert entry.label and len(entry.tip) > 60


def test_on_the_ravine_sgd_zigzags_and_momentum_gets_closer():
    sgd = optimizer_path("ravine", "sgd", lr=0.025, steps=100)
    momentum = optimizer_path("ravine", "momentum", lr=0.025, steps=100)
    print("ravine distance after 100 steps: sgd", distance("ravine", sgd), "momentum", distance("ravine", momentum))
    assert distance("ravine", sgd) > 0.2
    assert distance("ravine", momentum) < 0.06
    sgd_flips, momentum_flips = sign_changes(sgd.positions[:31, 1]), sign_changes(momentum.positions[:31, 1])
    print("sign changes of y in 30 steps: sgd", sgd_flips, "momentum", momentum_flips)
    assert sgd_flips == 30  # across the ravine at every step
    assert momentum_flips <= 18


def test_the_ravine_tip_says_what_a_higher_lr_shows():
    """The tip invites a higher LR: at 0.038 SGD's bounce across is still 0.12 wide after 20 steps
    (at the ravine's 0.025 it is under 0.01 after 5), and Nesterov diverges above 0.027."""
    assert SURFACES["ravine"].lr == 0.025 and "0.038" in SURFACES.entry("ravine").tip
    calm, bouncing = (np.abs(optimizer_path("ravine", "sgd", lr=lr, steps=20).positions[:, 1]) for lr in (0.025, 0.038))
    assert calm[5] < 0.01 and bouncing[20] > 0.1
    assert not optimizer_path("ravine", "nesterov", lr=0.026, steps=200).diverged
    assert optimizer_path("ravine", "nesterov", lr=0.028, steps=200).diverged


def test_adaptive_steps_leave_the_saddle_long_before_sgd():
    def off_the_saddle(positions):
        return np.abs(positions[:, 1]) > 0.5

    paths = {name: optimizer_path("saddle", name, start=(1.0, 1e-3), lr=0.01, steps=600)
             for name in ("sgd", "rmsprop", "adam")}
    steps = {name: steps_until(path, off_the_saddle) for name, path in paths.items()}
    print("steps to leave the saddle:", steps)
    assert steps["sgd"] > 250
    assert steps["rmsprop"] < 20
    assert steps["adam"] < 100


def test_on_rosenbrock_adam_takes_an_lr_that_sgd_cannot_and_gets_closer():
    assert optimizer_path("rosenbrock", "sgd", lr=0.0025, steps=1000).diverged
    sgd = optimizer_path("rosenbrock", "sgd", lr=0.002, steps=1000)
    adam = optimizer_path("rosenbrock", "adam", lr=0.1, steps=1000)
    print("rosenbrock distance after 1000 steps: sgd", distance("rosenbrock", sgd),
          "adam", distance("rosenbrock", adam))
    assert not sgd.diverged and distance("rosenbrock", sgd) > 0.01
    assert distance("rosenbrock", adam) < 0.005


def test_momentum_rolls_over_the_ridge_where_sgd_stops():
    ends = {name: optimizer_path("local_minimum", name, steps=300).positions[-1] for name in ("sgd", "momentum")}
    assert ends["sgd"] == pytest.approx((-1.0, 0.0), abs=0.01)  # the shallow dip
    assert ends["momentum"] == pytest.approx((1.5, 0.0), abs=0.01)  # the deep minimum


@pytest.mark.parametrize("name, kind, arguments", [
    ("sgd", torch.optim.SGD, {}),
    ("nesterov", torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
    ("adam", torch.optim.Adam, {"betas": (0.9, 0.999), "eps": 1e-8}),
    ("rmsprop", torch.optim.RMSprop, {"alpha": 0.99, "eps": 1e-8}),
])
def test_paths_are_what_a_plain_torch_optim_loop_gives(name, kind, arguments):
    point = torch.tensor((-1.5, 2.0), dtype=torch.float64, requires_grad=True)
    optimizer = kind([point], lr=1e-3, **arguments)
    expected = [point.detach().clone()]
    for _ in range(50):
        optimizer.zero_grad()
        loss = (1 - point[0]) ** 2 + 100 * (point[1] - point[0] ** 2) ** 2
        loss.backward()
        optimizer.step()
        expected.append(point.detach().clone())
    result = optimizer_path("rosenbrock", name, lr=1e-3, steps=50)
    np.testing.assert_allclose(result.positions, torch.stack(expected).numpy(), rtol=0, atol=1e-12)
    surface = SURFACES["rosenbrock"]
    np.testing.assert_allclose(result.losses, surface.loss(*result.positions.T), rtol=1e-12)


def test_lbfgs_steps_with_its_closure_and_finds_the_minimum():
    result = optimizer_path("rosenbrock", "lbfgs", lr=1.0, steps=5)
    assert len(result.positions) == 6 and not result.diverged
    assert distance("rosenbrock", result) < 1e-3


def test_a_newly_registered_optimizer_races_too(monkeypatch):
    """One registry entry (removed again after the test) is all it takes."""
    asgd = Entry("asgd", Optimizer("ASGD", 0.01), "Averaged SGD", "A test's.")
    monkeypatch.setitem(OPTIMIZERS._entries, "asgd", asgd)
    stepper = PathStepper("ravine", ["sgd", "asgd"])
    stepper.step(20)
    path = stepper.paths["asgd"]
    assert len(path.positions) == 21 and not path.diverged
    assert distance("ravine", optimizer_path("ravine", "asgd", steps=20)) < np.hypot(-4.5, 1.0) - 1


def test_a_changed_lr_takes_effect_at_the_next_step_and_restart_starts_over():
    stepper = PathStepper("ravine", ["sgd"], lr=0.01)
    stepper.step(1)
    x1 = stepper.paths["sgd"].positions[-1][0]
    assert x1 == pytest.approx(-4.5 * (1 - 0.01))
    stepper.set_lr(0.1)
    stepper.step(1)
    assert stepper.paths["sgd"].positions[-1][0] == pytest.approx(x1 * (1 - 0.1))
    stepper.restart((2.0, -0.5))
    assert stepper.steps == 0 and stepper.paths["sgd"].positions == [(2.0, -0.5)]


@pytest.mark.parametrize("call, message", [
    (lambda: optimizer_path("ravine", "sgd", steps=MAX_STEPS + 1), "steps: must be a whole number from 0 to 10000"),
    (lambda: optimizer_path("ravine", "sgd", steps=-1), "steps: must be a whole number from 0 to 10000"),
    (lambda: optimizer_path("ravine", "sgd", lr=0.0), "lr: must be > 0 and at most 10, got 0.0"),
    (lambda: optimizer_path("ravine", "sgd", lr=11.0), "lr: must be > 0 and at most 10, got 11.0"),
    (lambda: optimizer_path("ravine", "sgd", start=(6.0, 0.0)), "start.x: must be from -5 to 5, got 6.0"),
    (lambda: optimizer_path("ravine", "sgd", start=(0.0, -2.0)), "start.y: must be from -1.2 to 1.2, got -2.0"),
    (lambda: optimizer_path("ravine", "momentum", momentum=1.5), "optim.momentum"),
])
def test_bounds_are_refused_with_the_field_and_the_limit(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        call()


def test_divergence_stops_only_that_path_and_says_so():
    stepper = PathStepper("rosenbrock", ["sgd", "adam"], lr=0.01)
    assert stepper.step(200) == 200
    sgd, adam = stepper.paths["sgd"], stepper.paths["adam"]
    assert sgd.diverged and 1 <= sgd.diverged_at < 20
    assert len(sgd.positions) == sgd.diverged_at  # the start and every finite step before it
    assert np.isfinite(sgd.positions).all() and np.isfinite(sgd.losses).all()
    assert not adam.diverged and len(adam.positions) == 201


def test_the_window_reads_surfaces_without_torch():
    code = ("import sys; import playground.core.surfaces as s; s.SURFACES['saddle'].grid(10); "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)

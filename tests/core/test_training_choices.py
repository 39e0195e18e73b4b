"""Every registered choice trains TensorFlow Playground's default problem (must show 2, 4)."""

import math

import pytest

from playground.core.choices import ACTIVATIONS, INITIALIZERS, NORMS, OPTIMIZERS, SCHEDULES
from playground.core.presets import load_experiment
from playground.core.schedules import lr_curve
from playground.core.spec import ScheduleSpec
from tests.core.conftest import epochs_of

# Deliberately broken: zero weights give every unit the same output and the same gradient.
BROKEN = {("init", "zeros")}

CHOICES = ([("optim.name", n) for n in OPTIMIZERS.names()] + [("schedule.name", n) for n in SCHEDULES.names()]
           + [("model.activation", n) for n in ACTIVATIONS.names()] + [("model.init", n) for n in INITIALIZERS.names()]
           + [("model.norm", n) for n in NORMS.names()])


@pytest.mark.parametrize("path, name", CHOICES, ids=[f"{p}={n}" for p, n in CHOICES])
def test_each_choice_lowers_the_default_presets_loss_in_5_epochs(train, path, name):
    exp = load_experiment("default").with_overrides([f"{path}={name}", "train.epochs=5"])
    trainer, records = train(exp)
    losses = [r["train_loss"] for r in epochs_of(records)]
    assert records[-1]["reason"] == "completed"
    assert len(losses) == 6 and all(math.isfinite(x) for x in losses)
    if (path.split(".")[1], name) in BROKEN:
        hidden = [block.layer.weight for _, block in trainer.blocks]
        assert all(bool((w == 0).all()) for w in hidden), "symmetry should never break"
        assert losses[-1] > 0.69  # only the output bias learns: the class balance, nothing more
    else:
        assert losses[-1] < losses[0]


def test_adams_omitted_lr_is_the_lectures_1e_3(train):
    trainer, records = train({"optim": {"name": "adam"}, "train": {"epochs": 1}})
    assert epochs_of(records)[-1]["lr"] == 1e-3
    assert trainer.optimizer.defaults["betas"] == (0.9, 0.999)
    assert trainer.resolved_experiment().optim.lr == 1e-3


FORMULAS = {
    "step": lambda t, s: s.gamma ** (t // s.step_epochs),
    "exponential": lambda t, s: math.exp(-s.k * t),
    "inverse_time": lambda t, s: 1 / (1 + s.k * t),
}


@pytest.mark.parametrize("name", FORMULAS)
def test_schedules_follow_their_formula_at_every_epoch(train, name):
    schedule = {"name": name, "k": 0.3, "gamma": 0.5, "step_epochs": 3}
    trainer, records = train({"schedule": schedule, "optim": {"lr": 0.1}, "train": {"epochs": 12}})
    spec = ScheduleSpec(**schedule)
    for record in epochs_of(records)[1:]:  # epoch k's record carries the rate used during epoch k (t = k - 1)
        assert record["lr"] == pytest.approx(0.1 * FORMULAS[name](record["epoch"] - 1, spec), rel=1e-12)


@pytest.mark.parametrize("name, reference", [
    ("step", lambda opt: __import__("torch").optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)),
    ("exponential", lambda opt: __import__("torch").optim.lr_scheduler.ExponentialLR(opt, gamma=math.exp(-0.3))),
    ("cosine", lambda opt: __import__("torch").optim.lr_scheduler.CosineAnnealingLR(opt, T_max=12)),
])
def test_schedule_curves_agree_with_torchs_lr_schedulers(name, reference):
    import torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = reference(opt)
    expected = []
    for _ in range(12):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    curve = lr_curve(ScheduleSpec(name=name, k=0.3, gamma=0.5, step_epochs=3), 0.1, 12)
    assert curve == pytest.approx(expected, rel=1e-9)


def test_warmup_rises_linearly_then_decays():
    curve = lr_curve(ScheduleSpec(name="step", warmup_epochs=4, gamma=0.5, step_epochs=2), 1.0, 10)
    assert curve == pytest.approx([0.25, 0.5, 0.75, 1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25])

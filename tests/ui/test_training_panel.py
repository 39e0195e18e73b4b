"""The training panel and the LogSlider, driven through their widgets: what the panel shows, what it
emits, the round trip the window does, and the LR preview against the core's lr_curve."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QGroupBox, QLabel, QLineEdit

from playground.core.choices import LOSSES, OPTIMIZERS, SCHEDULES
from playground.core.optimizers import Optimizer, resolved_lr
from playground.core.registry import Entry
from playground.core.schedules import lr_curve
from playground.core.spec import Experiment
from playground.ui.controls import LogControl, LogSlider, NumberField, format_number
from playground.ui.training_panel import TrainingPanel
from tests.ui.panel_helpers import Window, clipped, find, in_dock, marks, shown, type_into, type_refused, shown_panel


@pytest.fixture
def panel(qtbot):
    return shown_panel(qtbot, TrainingPanel)


def pick(panel, name: str, data) -> None:
    combo = find(panel, name, QComboBox)
    index = combo.findData(data)
    assert index >= 0, (name, data)
    combo.setCurrentIndex(index)


def preview_of(panel) -> np.ndarray:
    return find(panel, "lr_preview").lrs()


# -- LogSlider ------------------------------------------------------------------------------------


def test_log_slider_maps_1e5_to_10_monotonically(qtbot):
    slider = LogSlider(1e-5, 10.0)
    qtbot.addWidget(slider)
    inner = slider.slider()
    values = [slider.value_at(p) for p in range(inner.minimum(), inner.maximum() + 1)]
    assert math.isclose(values[0], 1e-5) and math.isclose(values[-1], 10.0)
    assert all(b > a for a, b in zip(values, values[1:]))
    # equal steps in log space: the midpoint of the track is the geometric mean, 1e-2
    assert math.isclose(slider.value_at(inner.maximum() // 2), 10 ** -2, rel_tol=1e-9)


@pytest.mark.parametrize("value", [1e-5, 3.3e-5, 1e-4, 5e-4, 1e-3, 0.003, 0.0123, 0.03, 0.1, 0.77, 1.0, 3.0, 10.0])
def test_log_slider_round_trips_within_one_percent(qtbot, value):
    slider = LogSlider(1e-5, 10.0)
    qtbot.addWidget(slider)
    slider.setValue(value)
    assert slider.value() == value  # exactly what was set
    # and the tick it shows stands for a value within 1%
    assert abs(slider.value_at(slider.slider().value()) - value) <= 0.01 * value
    # a user drag to that tick (from a neighbour) gives the value back within 1% (rounded to three digits)
    got = []
    slider.valueChanged.connect(got.append)
    position = slider.position_of(value)
    slider.slider().setValue(position - 1 if position > 0 else position + 1)
    slider.slider().setValue(position)
    assert abs(got[-1] - value) <= 0.01 * value


def test_log_slider_signals_floats_and_clamps(qtbot):
    slider = LogSlider(1e-5, 10.0)
    qtbot.addWidget(slider)
    got = []
    slider.valueChanged.connect(got.append)
    slider.setValue(0.01)  # shown, not emitted: only a drag is the user's
    slider.slider().setValue(slider.slider().maximum())
    assert got == [10.0] and all(isinstance(v, float) for v in got)
    slider.setValue(1e-7)  # valid elsewhere, below the track: the knob sits at the end
    assert slider.slider().value() == 0 and slider.value() == 1e-7
    slider.setValue(100.0)
    assert slider.slider().value() == slider.slider().maximum()


def test_log_slider_off_state_and_log_control_sync(qtbot):
    control = LogControl("reg", 1e-6, 1.0, zero_allowed=True)
    qtbot.addWidget(control)
    control.show()
    got = []
    control.valueChanged.connect(got.append)
    assert control.value() == 0.0 and control.field.text() == "off"
    control.slider.slider().setValue(control.slider.position_of(1e-3))
    assert got == [0.001] and control.field.text() == "0.001"
    control.slider.slider().setValue(0)
    assert got[-1] == 0.0 and control.field.text() == "off"
    type_into(qtbot, control.field, "2e-4")
    assert got[-1] == 0.0002
    control.setValue(got[-1])  # the panel shows what the window accepted, the knob follows
    assert control.slider.slider().value() == control.slider.position_of(2e-4)
    refused = []
    control.refused.connect(refused.append)
    type_into(qtbot, control.field, "abc")  # refused with the reason, the value shown again
    assert got[-1] == 0.0002 and control.field.text() == "0.0002" and refused == ["'abc' is not a number"]


def test_number_field_reads_scientific_notation_and_empty(qtbot):
    field = NumberField(allow_empty=True)
    qtbot.addWidget(field)
    field.show()
    got = []
    field.valueEdited.connect(got.append)
    type_into(qtbot, field, "1e-5")
    type_into(qtbot, field, "")
    type_into(qtbot, field, "1.")
    assert got == [1e-5, None, 1.0]
    assert format_number(1e-5) == "1e-5" and format_number(0.0005) == "0.0005" and format_number(0.03) == "0.03"


# -- the panel ------------------------------------------------------------------------------------


def field(panel, name: str) -> NumberField:
    return find(panel, name, NumberField)


def test_default_spec_is_shown_in_every_control(panel):
    exp = Experiment()
    assert find(panel, "optimizer", QComboBox).currentData() == "sgd"
    assert find(panel, "lr_slider", LogSlider).value() == resolved_lr(exp.optim) == 0.03
    assert find(panel, "lr_value", QLineEdit).text() == "0.03"
    assert "(default)" in find(panel, "lr_hint", QLabel).text()
    assert not shown(panel, "lr_reset")
    assert not shown(panel, "momentum") and not shown(panel, "beta1") and not shown(panel, "eps")
    assert find(panel, "schedule", QComboBox).currentData() == "constant"
    assert not shown(panel, "step_gamma") and not shown(panel, "step_epochs") and not shown(panel, "schedule_k")
    assert shown(panel, "warmup_epochs") and field(panel, "warmup_epochs").text() == "off"
    assert find(panel, "l2", LogControl).value() == 0.0 and find(panel, "l2_value").text() == "off"
    assert find(panel, "l1", LogControl).value() == 0.0
    assert field(panel, "epochs").text() == "100"
    assert find(panel, "loss", QComboBox).currentData() == "auto"
    assert find(panel, "loss", QComboBox).currentText() == "auto (Cross-entropy)"
    assert find(panel, "reduction", QComboBox).currentData() == "mean"
    assert find(panel, "device", QComboBox).currentData() == "auto"
    assert field(panel, "train_seed").text() == "0"
    assert field(panel, "probe_every").text() == "50 steps"
    assert np.allclose(preview_of(panel), lr_curve(exp.schedule, 0.03, 100))
    assert marks(panel) == {}


def test_every_control_teaches_with_a_tooltip(panel):
    assert "SGD" in find(panel, "optimizer").toolTip() and "Constant" in find(panel, "schedule").toolTip()
    panel.set_experiment(Experiment().with_changes({"optim.name": "adam", "schedule.name": "step"}))
    for name in ["optimizer", "lr", "beta1", "beta2", "eps", "schedule", "step_gamma", "step_epochs",
                 "warmup_epochs", "lr_preview", "l1", "l2", "epochs", "loss", "reduction", "device", "train_seed",
                 "probe_every"]:
        assert len(find(panel, name).toolTip()) > 40, name
    assert "1e-3 or 5e-4" in find(panel, "beta1").toolTip()
    assert "more common with SGD than with Adam" in find(panel, "schedule").toolTip()
    assert "size_average=False" in find(panel, "reduction").toolTip()
    assert "mostly in the fully connected layers" in find(panel, "l2").toolTip()
    combo = find(panel, "optimizer", QComboBox)
    assert "beta1 0.9" in combo.itemData(combo.findData("adam"), Qt.ItemDataRole.ToolTipRole)
    assert "Default LR 0.001" in combo.itemData(combo.findData("adam"), Qt.ItemDataRole.ToolTipRole)


def test_set_experiment_emits_nothing(panel, qtbot):
    specs = [Experiment(),
             Experiment().with_changes({"optim.name": "adam", "optim.lr": 5e-4, "optim.betas": [0.8, 0.99]}),
             Experiment().with_changes({"optim.name": "lbfgs", "schedule.name": "step", "train.epochs": 7}),
             Experiment().with_changes({"optim.weight_decay": 1e-3, "optim.l1": 1e-5, "train.loss": "mse"})]
    with qtbot.assertNotEmitted(panel.edited):
        for exp in specs:
            panel.set_experiment(exp)


def _type(name, text):
    return lambda qt, p: type_into(qt, find(p, name, QLineEdit), text)


ACTIONS = [
    ("optimizer", None, lambda qt, p: pick(p, "optimizer", "adam"), {"optim.name": "adam", "optim.lr": None}),
    ("lr slider", None, lambda qt, p: find(p, "lr_slider").slider().setValue(find(p, "lr_slider").position_of(0.01)),
     {"optim.lr": 0.01}),
    ("lr field", None, _type("lr_value", "5e-4"), {"optim.lr": 0.0005}),
    ("lr reset", {"optim.lr": 0.1}, lambda qt, p: qt.mouseClick(find(p, "lr_reset"), Qt.MouseButton.LeftButton),
     {"optim.lr": None}),
    ("momentum", {"optim.name": "momentum"}, _type("momentum", "0.5"), {"optim.momentum": 0.5}),
    ("momentum default", {"optim.name": "momentum", "optim.momentum": 0.5}, _type("momentum", ""),
     {"optim.momentum": None}),
    ("beta1", {"optim.name": "adam"}, _type("beta1", "0.8"), {"optim.betas": [0.8, 0.999]}),
    ("beta2", {"optim.name": "adamw"}, _type("beta2", "0.99"), {"optim.betas": [0.9, 0.99]}),
    ("beta default", {"optim.name": "adam", "optim.betas": [0.8, 0.99]}, _type("beta2", ""),
     {"optim.betas": [0.8, 0.999]}),
    ("betas default", {"optim.name": "adam", "optim.betas": [0.9, 0.99]}, _type("beta2", ""),
     {"optim.betas": None}),
    ("eps", {"optim.name": "adam"}, _type("eps", "1e-6"), {"optim.eps": 1e-6}),
    ("eps default", {"optim.name": "rmsprop", "optim.eps": 1e-6}, _type("eps", ""), {"optim.eps": None}),
    ("schedule", None, lambda qt, p: pick(p, "schedule", "step"), {"schedule.name": "step"}),
    ("gamma", {"schedule.name": "step"}, _type("step_gamma", "0.25"), {"schedule.gamma": 0.25}),
    ("step epochs", {"schedule.name": "step"}, _type("step_epochs", "5"), {"schedule.step_epochs": 5}),
    ("k", {"schedule.name": "exponential"}, _type("schedule_k", "0.2"), {"schedule.k": 0.2}),
    ("warmup", None, _type("warmup_epochs", "3"), {"schedule.warmup_epochs": 3}),
    ("warmup off", {"schedule.warmup_epochs": 3}, _type("warmup_epochs", "off"), {"schedule.warmup_epochs": 0}),
    ("l2 field", None, _type("l2_value", "1e-3"), {"optim.weight_decay": 0.001}),
    ("l2 off", {"optim.weight_decay": 0.01}, lambda qt, p: find(p, "l2_slider").slider().setValue(0),
     {"optim.weight_decay": 0.0}),
    ("l1 slider", None, lambda qt, p: find(p, "l1_slider").slider().setValue(find(p, "l1_slider").position_of(1e-4)),
     {"optim.l1": 0.0001}),
    ("epochs", None, _type("epochs", "50"), {"train.epochs": 50}),
    ("loss", None, lambda qt, p: pick(p, "loss", "mse"), {"train.loss": "mse"}),
    ("reduction", None, lambda qt, p: pick(p, "reduction", "sum"), {"train.reduction": "sum"}),
    ("device", None, lambda qt, p: pick(p, "device", "cpu"), {"train.device": "cpu"}),
    ("seed", None, _type("train_seed", "7"), {"train.seed": 7}),
    ("probes off", None, _type("probe_every", "0"), {"train.probe_every": 0}),
]


@pytest.mark.parametrize("label,start,act,expected", ACTIONS, ids=[a[0] for a in ACTIONS])
def test_each_change_emits_its_path_and_round_trips(panel, qtbot, label, start, act, expected):
    window = Window(panel, Experiment().with_changes(start or {}))
    act(qtbot, panel)
    assert window.emitted == [expected]
    for path, value in expected.items():
        section, name = path.split(".")
        assert getattr(getattr(window.exp, section), name) == value
    assert marks(panel) == {}
    with qtbot.assertNotEmitted(panel.edited):
        panel.set_experiment(window.exp)
    assert find(panel, "lr_slider").value() == resolved_lr(window.exp.optim)
    assert np.allclose(preview_of(panel), lr_curve(window.exp.schedule, resolved_lr(window.exp.optim),
                                                   window.exp.train.epochs))
    if label == "probes off":
        assert field(panel, "probe_every").text() == "off"
    if label in ("momentum default", "eps default", "betas default"):
        name = {"betas": "beta2"}.get(label.split()[0], label.split()[0])
        assert field(panel, name).text() == "" and field(panel, name).placeholderText().startswith("default (")


def test_lr_is_emitted_at_every_step_of_a_drag(panel):
    window = Window(panel, Experiment())
    inner = find(panel, "lr_slider").slider()
    start = inner.value()
    for position in range(start, start + 50, 10):  # the first is where it already is: no change
        inner.setValue(position)
    assert len(window.emitted) == 4
    lrs = [c["optim.lr"] for c in window.emitted]
    assert lrs == sorted(lrs) and window.exp.optim.lr == lrs[-1]
    assert find(panel, "lr_value").text() == format_number(lrs[-1])


def test_switching_optimizer_shows_its_parameters_and_default_lr(panel):
    window = Window(panel, Experiment().with_changes({"optim.lr": 0.3}))
    pick(panel, "optimizer", "adam")
    assert window.exp.optim.name == "adam" and window.exp.optim.lr is None
    assert shown(panel, "beta1") and shown(panel, "beta2") and shown(panel, "eps")
    assert not shown(panel, "momentum")
    assert field(panel, "beta1").placeholderText() == "default (0.9)"
    assert field(panel, "beta2").placeholderText() == "default (0.999)"
    assert field(panel, "eps").placeholderText() == "default (1e-8)"
    assert find(panel, "lr_slider").value() == 1e-3 and find(panel, "lr_value").text() == "0.001"
    assert "(default)" in find(panel, "lr_hint").text()

    pick(panel, "optimizer", "momentum")
    assert shown(panel, "momentum") and not shown(panel, "beta1") and not shown(panel, "eps")
    assert field(panel, "momentum").placeholderText() == "default (0.9)"
    pick(panel, "optimizer", "rmsprop")
    assert shown(panel, "momentum") and shown(panel, "eps")
    assert field(panel, "momentum").placeholderText() == "default (0)"
    for entry in OPTIMIZERS:
        pick(panel, "optimizer", entry.name)
        for param, name in (("momentum", "momentum"), ("betas", "beta1"), ("betas", "beta2"), ("eps", "eps")):
            assert shown(panel, name) == (param in entry.value.params), (entry.name, param)


def test_lbfgs_disables_the_lr_and_the_schedule_and_says_why(panel):
    """Defect 19: L-BFGS picks each step by line search, so neither an LR nor a schedule is used."""
    window = Window(panel, Experiment().with_changes({"schedule.name": "step", "schedule.warmup_epochs": 2}))
    pick(panel, "optimizer", "lbfgs")
    assert window.exp.optim.name == "lbfgs"
    for name in ("lr_slider", "lr_value", "schedule", "step_gamma", "step_epochs", "warmup_epochs"):
        assert not find(panel, name).isEnabled(), name
    assert "L-BFGS picks each step by line search" in find(panel, "lr").toolTip()
    assert "line search" in find(panel, "lr_hint").text()
    for name in ("schedule", "step_gamma", "step_epochs", "warmup_epochs"):
        assert "a schedule has nothing to scale" in find(panel, name).toolTip(), name
    assert not shown(panel, "lr_preview")
    caption = find(panel, "lr_preview_caption").text()
    assert "line search" in caption and "→" not in caption
    pick(panel, "optimizer", "sgd")
    for name in ("lr_slider", "lr_value", "schedule", "step_gamma", "warmup_epochs"):
        assert find(panel, name).isEnabled(), name
    assert "halves the LR" in find(panel, "step_gamma").toolTip()
    assert shown(panel, "lr_preview") and "→" in find(panel, "lr_preview_caption").text()
    assert np.allclose(preview_of(panel), lr_curve(window.exp.schedule, 0.03, 100))


def test_schedule_shows_its_own_parameters(panel):
    window = Window(panel, Experiment())
    expected = {"constant": set(), "step": {"step_gamma", "step_epochs"}, "exponential": {"schedule_k"},
                "inverse_time": {"schedule_k"}, "cosine": set()}
    assert set(expected) == set(SCHEDULES.names())
    for name, params in expected.items():
        pick(panel, "schedule", name)
        assert window.exp.schedule.name == name
        for widget in ("step_gamma", "step_epochs", "schedule_k"):
            assert shown(panel, widget) == (widget in params), (name, widget)
        assert shown(panel, "warmup_epochs")


def halving(t: int, total: int, k: float) -> float:
    return 0.5 ** (k * t)


def test_choices_and_their_rows_come_from_the_registries(qtbot, monkeypatch):
    """One registry entry holds everything about a choice: registered before the panel is built, a
    schedule is listed and shows the rows of its parameters; an optimizer its own parameters and
    defaults; a loss is listed beside auto."""
    monkeypatch.setitem(SCHEDULES._entries, "halving", Entry("halving", halving, "Halving", "0.5^(kt)."))
    monkeypatch.setitem(OPTIMIZERS._entries, "heavy_ball", Entry(
        "heavy_ball", Optimizer("SGD", 0.02, {"momentum": 0.5}), "Heavy ball", "Momentum 0.5."))
    monkeypatch.setitem(LOSSES._entries, "mse2", Entry("mse2", LOSSES["mse"], "MSE again", "The same."))
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    window = Window(panel, Experiment())
    assert find(panel, "loss", QComboBox).findData("mse2") >= 0
    pick(panel, "schedule", "halving")
    assert window.emitted == [{"schedule.name": "halving"}] and window.exp.schedule.name == "halving"
    assert shown(panel, "schedule_k") and not shown(panel, "step_gamma") and not shown(panel, "step_epochs")
    assert np.allclose(preview_of(panel), [0.03 * 0.5 ** (0.1 * t) for t in range(100)])
    pick(panel, "optimizer", "heavy_ball")
    assert window.exp.optim.name == "heavy_ball"
    assert shown(panel, "momentum") and not shown(panel, "beta1") and not shown(panel, "eps")
    assert field(panel, "momentum").placeholderText() == "default (0.5)"
    assert find(panel, "lr_value").text() == "0.02"


def test_preview_follows_lr_schedule_and_epochs(panel):
    exp = Experiment().with_changes({"optim.lr": 0.3, "schedule.name": "step", "train.epochs": 60})
    panel.set_experiment(exp)
    assert np.allclose(preview_of(panel), lr_curve(exp.schedule, 0.3, 60))
    assert preview_of(panel)[0] == 0.3 and math.isclose(preview_of(panel)[-1], 0.3 * 0.5 ** 5)
    before = preview_of(panel).copy()
    exp = exp.with_changes({"train.epochs": 25})
    panel.set_experiment(exp)
    assert len(preview_of(panel)) == 25 and not np.array_equal(preview_of(panel), before)
    assert np.allclose(preview_of(panel), lr_curve(exp.schedule, 0.3, 25))
    exp = exp.with_changes({"schedule.warmup_epochs": 5, "optim.lr": 0.1})
    panel.set_experiment(exp)
    assert np.allclose(preview_of(panel), lr_curve(exp.schedule, 0.1, 25))
    assert "→" in find(panel, "lr_preview_caption").text()
    huge = Experiment().with_changes({"train.epochs": 1_000_000, "schedule.name": "cosine"})
    panel.set_experiment(huge)  # sampled, not a million points
    assert len(preview_of(panel)) <= 1000 and math.isclose(preview_of(panel)[0], 0.03)


def test_devices_come_from_the_training_process(panel):
    assert [find(panel, "device").itemData(i) for i in range(find(panel, "device").count())] == ["auto", "cpu"]
    panel.set_experiment(Experiment().with_changes({"train.device": "cuda"}))  # a file from a GPU machine
    assert find(panel, "device").currentText() == "cuda (not here: CPU)"
    panel.set_devices(["cpu", "cuda"], "cuda")
    combo = find(panel, "device", QComboBox)
    assert [combo.itemText(i) for i in range(combo.count())] == ["auto (cuda)", "cpu", "cuda"]
    assert combo.currentData() == "cuda"


# -- refused input: marked where it was typed, the old value shown again (defects 9, 10) --------------


@pytest.mark.parametrize("name,text,reason", [
    ("lr_value", "abc", "'abc' is not a number"),
    ("epochs", "12.5", "'12.5' is not a whole number"),
    ("step_gamma", "half", "'half' is not a number"),
    ("beta1", "0,9", "'0,9' is not a number"),
])
def test_text_that_is_not_a_number_is_refused_at_the_field(panel, qtbot, name, text, reason):
    """Defect 9: "abc" in the LR was dropped without a word; now the field says why."""
    window = Window(panel, Experiment().with_changes({"optim.name": "adam", "schedule.name": "step"}))
    before = find(panel, name, QLineEdit).text()
    type_into(qtbot, find(panel, name, QLineEdit), text)
    assert window.emitted == []
    assert find(panel, name, QLineEdit).text() == before
    mark = "lr" if name == "lr_value" else name
    assert marks(panel) == {mark: reason}


@pytest.mark.parametrize("name,text,path,problem", [
    ("lr_value", "-5", "optim.lr", "must be > 0"),
    ("lr_value", "0", "optim.lr", "must be > 0"),
    ("beta2", "1", "optim.betas", "must be >= 0 and < 1, got 1"),
    ("momentum", "1.5", "optim.momentum", "must be < 1"),
    ("epochs", "0", "train.epochs", "must be >= 1, got 0"),
    ("step_epochs", "0", "schedule.step_epochs", "must be >= 1, got 0"),
    ("probe_every", "-10", "train.probe_every", "must be >= 0"),
])
def test_a_number_outside_the_spec_is_proposed_refused_and_marked(panel, qtbot, name, text, path, problem):
    """Defect 9: LR "-5" became 5 and was accepted; now the spec refuses it, the window marks it and
    the field shows the old value again."""
    start = Experiment().with_changes({"optim.name": "momentum" if name == "momentum" else "adam",
                                       "schedule.name": "step"})
    window = Window(panel, start)
    shown_marks = type_refused(qtbot, window, find(panel, name, QLineEdit), text, path)
    mark = "lr" if name == "lr_value" else name
    assert list(shown_marks) == [mark] and problem in shown_marks[mark]
    assert find(panel, "lr_slider").value() == resolved_lr(start.optim)


def test_escape_throws_away_a_half_typed_value(panel, qtbot):
    window = Window(panel, Experiment())
    type_into(qtbot, find(panel, "lr_value", QLineEdit), "0.5", key=Qt.Key.Key_Escape)
    assert find(panel, "lr_value").text() == "0.03"
    type_into(qtbot, field(panel, "epochs"), "7", key=Qt.Key.Key_Escape)
    assert field(panel, "epochs").text() == "100"
    field(panel, "train_seed").setFocus()  # leaving the field proposes nothing either
    assert window.emitted == [] and marks(panel) == {}


def test_a_refused_choice_is_not_left_shown(panel, qtbot):
    """A full-batch step of a big network holds too many numbers: L-BFGS is refused, SGD stays shown."""
    big = Experiment().with_changes({"data.n_samples": 100_000, "model.layers": [{"units": 2048}] * 2})
    window = Window(panel, big)
    pick(panel, "optimizer", "lbfgs")
    assert window.emitted == [{"optim.name": "lbfgs", "optim.lr": None}] and window.exp.optim.name == "sgd"
    assert find(panel, "optimizer", QComboBox).currentData() == "sgd"
    assert find(panel, "lr_value").isEnabled() and shown(panel, "lr_preview")
    assert "data.n_samples" in marks(panel)["panel"]


def test_no_mark_survives_another_experiment(panel, qtbot):
    """Defect 10: after set_experiment of another experiment and show_error(None) nothing is marked."""
    Window(panel, Experiment().with_changes({"optim.name": "adam"}))
    type_into(qtbot, field(panel, "beta1"), "2")
    type_into(qtbot, find(panel, "lr_value", QLineEdit), "x")
    assert marks(panel) == {"lr": "'x' is not a number"}
    panel.show_error("optim.betas[0]", "must be >= 0 and < 1, got 2")
    panel.set_experiment(Experiment().with_changes({"optim.name": "lbfgs"}))  # another preset
    panel.show_error(None)
    assert marks(panel) == {}
    assert "nothing to scale" in find(panel, "schedule").toolTip()


def test_show_error_marks_the_control_and_clears(panel):
    panel.set_experiment(Experiment().with_changes({"optim.name": "adam"}))
    beta2 = find(panel, "beta2")
    original = beta2.toolTip()
    panel.show_error("optim.betas[1]", "must be >= 0 and < 1, got 1.0")
    assert marks(panel) == {"beta2": "must be >= 0 and < 1, got 1.0"}
    assert "must be &gt;= 0 and &lt; 1, got 1.0" in beta2.toolTip()
    panel.show_error("optim.lr", "must be > 0.0, got 0.0")
    assert marks(panel) == {"lr": "must be > 0.0, got 0.0"} and beta2.toolTip() == original
    panel.show_error(None)
    assert marks(panel) == {}
    panel.show_error("optim.momentum", "must be < 1.0, got 1.0")  # hidden while Adam is chosen
    assert marks(panel)["panel"] == "optim.momentum: must be < 1.0, got 1.0"


def test_everything_fits_a_narrow_dock(qtbot):
    """Defect 4: at 1280x720 the dock is about 310 px wide: nothing is cut off at the side."""
    panel = TrainingPanel()
    holder = in_dock(qtbot, panel)
    shots = [(Experiment(), "/tmp/panel_training.png"),
             (Experiment().with_changes({"optim.name": "adam", "optim.lr": 0.003, "schedule.name": "step",
                                         "optim.weight_decay": 1e-4}), "/tmp/panel_training_adam.png"),
             (Experiment().with_changes({"optim.name": "lbfgs", "schedule.name": "exponential"}),
              "/tmp/panel_training_lbfgs.png")]
    shots += [(Experiment().with_changes({"optim.name": name}), f"/tmp/panel_training_{name}.png")
              for name in OPTIMIZERS.names()]  # each at its own default LR
    for exp, path in shots:
        panel.set_experiment(exp)
        qtbot.wait(20)
        assert holder.horizontalScrollBar().maximum() == 0
        assert clipped(panel) == [], path
        assert holder.grab().save(path)
    panel.set_experiment(Experiment())
    qtbot.wait(20)
    assert holder.verticalScrollBar().maximum() == 0  # the default fits without scrolling
    panel.show_error("optim.lr", "must be > 0.0, got 0.0")
    qtbot.wait(20)
    assert clipped(panel) == []
    holder.grab().save("/tmp/panel_training_error.png")


def test_the_groups_below_stay_put_when_the_lr_leaves_its_default(panel, qtbot):
    """Found driving the window: the schedule group and all under it jumped when the LR's grey
    '(default)' hint gave way to its 'use default' button, and back."""
    window = Window(panel, Experiment())
    schedule = next(box for box in panel.findChildren(QGroupBox) if box.title() == "Learning-rate schedule")
    top = schedule.y()
    type_into(qtbot, find(panel, "lr_value", QLineEdit), "0.1")
    qtbot.waitUntil(lambda: shown(panel, "lr_reset"))
    panel.layout().activate()
    assert window.exp.optim.lr == 0.1 and schedule.y() == top
    find(panel, "lr_reset").click()
    panel.layout().activate()
    assert window.exp.optim.lr is None and schedule.y() == top

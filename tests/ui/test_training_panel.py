"""The training panel and the LogSlider, driven through their widgets: what the panel shows, what it
emits, the round trip the window does, and the LR preview against the core's lr_curve."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QSpinBox

from playground.core.choices import OPTIMIZERS, SCHEDULES
from playground.core.optimizers import resolved_lr
from playground.core.schedules import lr_curve
from playground.core.spec import Experiment
from playground.ui.training_panel import TrainingPanel
from playground.ui.widgets import LogControl, LogSlider, NumberField, format_number
from tests.ui.panel_helpers import Window, find, in_dock, shown


@pytest.fixture
def panel(qtbot):
    p = TrainingPanel()
    qtbot.addWidget(p)
    p.resize(320, 700)
    p.show()
    qtbot.waitExposed(p)
    p.set_experiment(Experiment())
    return p


def type_into(qtbot, field: QLineEdit, text: str) -> None:
    field.setFocus()
    field.selectAll()
    qtbot.keyClick(field, Qt.Key_Backspace)
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key_Return)


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
    slider.setValue(0.01)
    slider.setValue(0.01)  # unchanged: no signal
    slider.slider().setValue(slider.slider().maximum())
    assert got == [0.01, 10.0] and all(isinstance(v, float) for v in got)
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
    assert got[-1] == 0.0002 and control.slider.slider().value() == control.slider.position_of(2e-4)
    type_into(qtbot, control.field, "abc")  # the validator refuses letters: nothing changes
    assert got[-1] == 0.0002 and control.field.text() == "0.0002"


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
    assert shown(panel, "warmup_epochs") and find(panel, "warmup_epochs").text() == "off"
    assert find(panel, "l2", LogControl).value() == 0.0 and find(panel, "l2_value").text() == "off"
    assert find(panel, "l1", LogControl).value() == 0.0
    assert find(panel, "epochs", QSpinBox).value() == 100
    assert find(panel, "loss", QComboBox).currentData() == "auto"
    assert "cross-entropy" in find(panel, "loss", QComboBox).currentText()
    assert find(panel, "reduction", QComboBox).currentData() == "mean"
    assert find(panel, "device", QComboBox).currentData() == "auto"
    assert find(panel, "train_seed", QSpinBox).value() == 0
    assert find(panel, "probe_every", QSpinBox).value() == 50
    assert np.allclose(preview_of(panel), lr_curve(exp.schedule, 0.03, 100))


def test_every_control_teaches_with_a_tooltip(panel):
    panel.set_experiment(Experiment().with_changes({"optim.name": "adam", "schedule.name": "step"}))
    for name in ["optimizer", "lr", "beta1", "eps", "schedule", "step_gamma", "step_epochs", "warmup_epochs",
                 "lr_preview", "l1", "l2", "epochs", "loss", "reduction", "device", "train_seed", "probe_every"]:
        widget = find(panel, name)
        tip = widget.toolTip() or widget.parentWidget().toolTip()
        assert len(tip) > 40, name
    assert "1e-3 or 5e-4" in find(panel, "beta1").toolTip()
    assert "more common with SGD than with Adam" in find(panel, "schedule").toolTip()
    assert "size_average=False" in find(panel, "reduction").toolTip()
    assert "mostly in the fully connected layers" in find(panel, "l2").toolTip()
    combo = find(panel, "optimizer", QComboBox)
    assert "beta1 0.9" in combo.itemData(combo.findData("adam"), Qt.ToolTipRole)


def test_set_experiment_emits_nothing(panel, qtbot):
    specs = [Experiment(),
             Experiment().with_changes({"optim.name": "adam", "optim.lr": 5e-4, "optim.betas": [0.8, 0.99]}),
             Experiment().with_changes({"optim.name": "lbfgs", "schedule.name": "step", "train.epochs": 7}),
             Experiment().with_changes({"optim.weight_decay": 1e-3, "optim.l1": 1e-5, "train.loss": "mse"})]
    with qtbot.assertNotEmitted(panel.edited):
        for exp in specs:
            panel.set_experiment(exp)


ACTIONS = [
    ("optimizer", None, lambda qt, p: pick(p, "optimizer", "adam"), {"optim.name": "adam", "optim.lr": None}),
    ("lr slider", None, lambda qt, p: find(p, "lr_slider").slider().setValue(find(p, "lr_slider").position_of(0.01)),
     {"optim.lr": 0.01}),
    ("lr field", None, lambda qt, p: type_into(qt, find(p, "lr_value"), "5e-4"), {"optim.lr": 0.0005}),
    ("lr reset", {"optim.lr": 0.1}, lambda qt, p: qt.mouseClick(find(p, "lr_reset"), Qt.LeftButton),
     {"optim.lr": None}),
    ("momentum", {"optim.name": "momentum"}, lambda qt, p: find(p, "momentum").setValue(0.5), {"optim.momentum": 0.5}),
    ("beta1", {"optim.name": "adam"}, lambda qt, p: find(p, "beta1").setValue(0.8), {"optim.betas": [0.8, 0.999]}),
    ("beta2", {"optim.name": "adamw"}, lambda qt, p: find(p, "beta2").setValue(0.99), {"optim.betas": [0.9, 0.99]}),
    ("eps", {"optim.name": "adam"}, lambda qt, p: type_into(qt, find(p, "eps"), "1e-6"), {"optim.eps": 1e-6}),
    ("eps default", {"optim.name": "rmsprop", "optim.eps": 1e-6}, lambda qt, p: type_into(qt, find(p, "eps"), ""),
     {"optim.eps": None}),
    ("schedule", None, lambda qt, p: pick(p, "schedule", "step"), {"schedule.name": "step"}),
    ("gamma", {"schedule.name": "step"}, lambda qt, p: find(p, "step_gamma").setValue(0.25), {"schedule.gamma": 0.25}),
    ("step epochs", {"schedule.name": "step"}, lambda qt, p: find(p, "step_epochs").setValue(5),
     {"schedule.step_epochs": 5}),
    ("k", {"schedule.name": "exponential"}, lambda qt, p: find(p, "schedule_k").setValue(0.2), {"schedule.k": 0.2}),
    ("warmup", None, lambda qt, p: find(p, "warmup_epochs").setValue(3), {"schedule.warmup_epochs": 3}),
    ("l2 field", None, lambda qt, p: type_into(qt, find(p, "l2_value"), "1e-3"), {"optim.weight_decay": 0.001}),
    ("l2 off", {"optim.weight_decay": 0.01}, lambda qt, p: find(p, "l2_slider").slider().setValue(0),
     {"optim.weight_decay": 0.0}),
    ("l1 slider", None, lambda qt, p: find(p, "l1_slider").slider().setValue(find(p, "l1_slider").position_of(1e-4)),
     {"optim.l1": 0.0001}),
    ("epochs", None, lambda qt, p: find(p, "epochs").setValue(50), {"train.epochs": 50}),
    ("loss", None, lambda qt, p: pick(p, "loss", "mse"), {"train.loss": "mse"}),
    ("reduction", None, lambda qt, p: pick(p, "reduction", "sum"), {"train.reduction": "sum"}),
    ("device", None, lambda qt, p: pick(p, "device", "cpu"), {"train.device": "cpu"}),
    ("seed", None, lambda qt, p: find(p, "train_seed").setValue(7), {"train.seed": 7}),
    ("probes off", None, lambda qt, p: find(p, "probe_every").setValue(0), {"train.probe_every": 0}),
]


@pytest.mark.parametrize("label,start,act,expected", ACTIONS, ids=[a[0] for a in ACTIONS])
def test_each_change_emits_its_path_and_round_trips(panel, qtbot, label, start, act, expected):
    window = Window(panel, Experiment().with_changes(start or {}))
    act(qtbot, panel)
    assert window.emitted == [expected]
    for path, value in expected.items():
        section, name = path.split(".")
        assert getattr(getattr(window.exp, section), name) == value
    with qtbot.assertNotEmitted(panel.edited):
        panel.set_experiment(window.exp)
    assert find(panel, "lr_slider").value() == resolved_lr(window.exp.optim)
    assert np.allclose(preview_of(panel), lr_curve(window.exp.schedule, resolved_lr(window.exp.optim),
                                                   window.exp.train.epochs))


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
    assert find(panel, "beta1").value() == 0.9 and find(panel, "beta2").value() == 0.999
    assert find(panel, "eps").placeholderText().startswith("1e-8")
    assert find(panel, "lr_slider").value() == 1e-3 and find(panel, "lr_value").text() == "0.001"
    assert "(default)" in find(panel, "lr_hint").text()

    pick(panel, "optimizer", "momentum")
    assert shown(panel, "momentum") and not shown(panel, "beta1") and not shown(panel, "eps")
    assert find(panel, "momentum").value() == 0.9
    pick(panel, "optimizer", "rmsprop")
    assert shown(panel, "momentum") and shown(panel, "eps") and find(panel, "momentum").value() == 0.0
    for entry in OPTIMIZERS:
        pick(panel, "optimizer", entry.name)
        for param, name in (("momentum", "momentum"), ("betas", "beta1"), ("eps", "eps")):
            assert shown(panel, name) == (param in entry.value.params), (entry.name, param)


def test_lbfgs_disables_the_lr_controls(panel):
    window = Window(panel, Experiment())
    pick(panel, "optimizer", "lbfgs")
    assert window.exp.optim.name == "lbfgs"
    for name in ("lr_slider", "lr_value"):
        assert not find(panel, name).isEnabled()
    assert "L-BFGS picks its step by line search" in find(panel, "lr").parentWidget().toolTip()
    assert "line search" in find(panel, "lr_hint").text()
    pick(panel, "optimizer", "sgd")
    assert find(panel, "lr_slider").isEnabled() and find(panel, "lr_value").isEnabled()


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
    assert len(preview_of(panel)) <= 5000 and math.isclose(preview_of(panel)[0], 0.03)


def test_show_error_marks_the_control_and_clears(panel):
    panel.set_experiment(Experiment().with_changes({"optim.name": "adam"}))
    beta1 = find(panel, "beta1")
    original = beta1.toolTip()
    panel.show_error("optim.betas[1]", "must be >= 0 and < 1, got 1.0")
    frame = find(panel, "frame_betas")
    assert frame.property("error") is True
    assert find(panel, "error_betas").isVisibleTo(panel)
    assert "must be &gt;= 0 and &lt; 1, got 1.0" in beta1.toolTip()
    assert not find(panel, "error_label").isVisibleTo(panel)
    panel.show_error("optim.lr", "must be > 0.0, got 0.0")
    assert frame.property("error") is False and beta1.toolTip() == original
    assert find(panel, "frame_lr").property("error") is True
    panel.show_error(None)
    assert find(panel, "frame_lr").property("error") is False
    assert not find(panel, "error_lr").isVisibleTo(panel)
    panel.show_error("optim.momentum", "must be < 1.0, got 1.0")  # hidden while Adam is chosen
    assert find(panel, "error_label").isVisibleTo(panel)


def test_a_bad_lr_typed_in_is_marked_by_the_window(panel, qtbot):
    window = Window(panel, Experiment())
    type_into(qtbot, find(panel, "lr_value"), "0")
    assert window.emitted == [{"optim.lr": 0.0}] and window.exp.optim.lr is None
    assert find(panel, "frame_lr").property("error") is True
    assert "must be > 0" in find(panel, "error_lr").text()
    type_into(qtbot, find(panel, "lr_value"), "0.1")
    assert window.exp.optim.lr == 0.1 and find(panel, "frame_lr").property("error") is False


def test_screenshot_of_the_panel(qtbot):
    panel = TrainingPanel()
    holder = in_dock(qtbot, panel)
    shots = [(Experiment(), "/tmp/panel_training.png"),
             (Experiment().with_changes({"optim.name": "adam", "optim.lr": 0.003, "schedule.name": "step",
                                         "optim.weight_decay": 1e-4}), "/tmp/panel_training_adam.png"),
             (Experiment().with_changes({"optim.name": "lbfgs", "schedule.name": "exponential"}),
              "/tmp/panel_training_lbfgs.png")]
    for exp, path in shots:
        panel.set_experiment(exp)
        qtbot.wait(20)
        assert holder.horizontalScrollBar().maximum() == 0  # nothing cut off at the side
        image = holder.grab()
        assert (image.width(), image.height()) == (320, 700)
        assert image.save(path)
    panel.set_experiment(Experiment())
    qtbot.wait(20)
    assert holder.verticalScrollBar().maximum() == 0  # the default fits without scrolling
    panel.show_error("optim.lr", "must be > 0.0, got 0.0")
    qtbot.wait(20)
    holder.grab().save("/tmp/panel_training_error.png")

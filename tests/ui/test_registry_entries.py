"""One registry entry holds everything about a choice: an optimizer and a schedule registered here,
in the test, appear in the training panel, are accepted by validation, train under `playground run`
and are written into the exported script, with nothing else to change anywhere."""

from __future__ import annotations

import json

import pytest

from playground.cli import main
from playground.core.optimizers import OPTIMIZERS, Optimizer
from playground.core.schedules import SCHEDULES
from playground.core.spec import Experiment, SpecError


def linear_decay(t: int, total: int, k: float) -> float:
    """Down by k of lr0 every epoch, never below zero."""
    return max(0.0, 1.0 - k * t)


@pytest.fixture
def registered():
    OPTIMIZERS.add("sgd_dampened", Optimizer("SGD", 0.05, {"momentum": 0.5}, {"dampening": 0.5}), "SGD, dampened",
                   "Momentum whose new gradients count half: a test entry.")
    SCHEDULES.add("linear", linear_decay, "Linear decay", "lr0 (1 - k t): a test entry.")
    try:
        yield
    finally:
        del OPTIMIZERS._entries["sgd_dampened"], SCHEDULES._entries["linear"]


def test_a_new_entry_reaches_validation_the_panel_the_cli_and_the_export(registered, qtbot, tmp_path,
                                                                          monkeypatch, capsys):
    from playground.ui.training_panel import TrainingPanel

    exp = Experiment.from_dict({"optim": {"name": "sgd_dampened"}, "schedule": {"name": "linear", "k": 0.05}})
    assert exp.optim.name == "sgd_dampened"
    with pytest.raises(SpecError, match="optim.name: unknown choice 'sgd_dampen'"):
        Experiment.from_dict({"optim": {"name": "sgd_dampen"}})

    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.set_experiment(exp)
    panel.show()
    optimizer = panel.optimizer
    schedule = panel.schedule
    assert optimizer.itemData(optimizer.currentIndex()) == "sgd_dampened"
    assert schedule.itemData(schedule.currentIndex()) == "linear"
    assert panel.momentum.isVisibleTo(panel) and panel.schedule_k.isVisibleTo(panel)  # their own parameters
    assert not panel.step_gamma.isVisibleTo(panel)

    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "mine.json"
    spec.write_text(exp.to_json())
    assert main(["run", str(spec), "--epochs", "3", "--quiet", "--out", "out"]) == 0
    records = [json.loads(line) for line in (tmp_path / "out" / "metrics.jsonl").read_text().splitlines()]
    lrs = [r["lr"] for r in records if r["type"] == "epoch"][1:]
    assert lrs == pytest.approx([0.05, 0.05 * 0.95, 0.05 * 0.9])
    resolved = json.loads((tmp_path / "out" / "spec.json").read_text())
    assert resolved["optim"]["momentum"] == 0.5  # its own default, written out

    assert main(["export", str(spec), "-o", "train.py"]) == 0
    script = (tmp_path / "train.py").read_text()
    assert "torch.optim.SGD(net.parameters(), lr=LR, dampening=0.5, momentum=0.5)" in script
    assert "def linear_decay(t: int, total: int, k: float) -> float:" in script
    assert "return linear_decay(epoch, epochs, k=0.05)" in script
    capsys.readouterr()

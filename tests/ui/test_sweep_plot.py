"""The few-shot sweep's plot: a curve per strategy at the right points, a log x axis whose ticks are
the sweep's counts ("all" where all the data is), live updates, and a PNG of the asked size."""

import math

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage

from playground.core.sweep import SweepResult, SweepRow
from playground.ui.plots.sweep import STRATEGY_COLORS, SweepPlot

MEANS = {"linear_probe": [0.42, 0.70, 0.83, 0.91], "scratch": [0.25, 0.47, 0.69, 0.87]}
PER_CLASS = [1, 5, 20, None]


def _result() -> SweepResult:
    rows = [SweepRow(strategy, pc, seed, mean + (0.02 if seed else -0.02), 1.0, 10 * (pc or 50), 10)
            for strategy, means in MEANS.items() for pc, mean in zip(PER_CLASS, means) for seed in (0, 1)]
    return SweepResult(list(MEANS), PER_CLASS, 2, rows, {"transfer": {"backbone": "glyphs_cnn"}})


@pytest.fixture
def plot(qtbot):
    widget = SweepPlot(_result())
    qtbot.addWidget(widget)
    return widget


def test_a_curve_per_strategy_at_the_mean_with_error_bars(plot):
    std = 100 * 0.02 * math.sqrt(2)  # two seeds, 2 points either side of the mean
    for strategy, means in MEANS.items():
        points = plot.points(strategy)
        assert [p[0] for p in points] == [1, 5, 20, 50]  # "all": 500 examples of 10 classes
        assert [p[1] for p in points] == pytest.approx([100 * m for m in means])
        assert [p[2] for p in points] == pytest.approx([std] * 4)
        curve = plot._curves[strategy]
        assert curve.yData == pytest.approx([100 * m for m in means])
        assert curve.xData == pytest.approx([1, 5, 20, 50], rel=0.05)  # strategies a little apart
        bars = plot._bars[strategy]
        assert bars.isVisible() and bars.opts["height"] == pytest.approx([2 * std] * 4)
    assert len(plot.getPlotItem().listDataItems()) == len(MEANS)
    assert [label.text for _, label in plot.legend.items] == ["Linear probe (backbone frozen)",
                                                              "From scratch (same network, fresh weights)"]


def test_log_x_with_the_sweep_counts_as_ticks_and_all_at_the_full_count(plot):
    item = plot.getPlotItem()
    assert item.getAxis("bottom").logMode and item.ctrl.logXCheck.isChecked()
    assert plot.tick_labels() == [(1, "1"), (5, "5"), (20, "20"), (50, "all")]
    major, _ = item.getAxis("bottom")._tickLevels
    assert major == [(pytest.approx(math.log10(v)), s) for v, s in plot.tick_labels()]
    low, high = item.viewRange()[0]
    assert low < 0 < math.log10(50) < high
    assert plot.chance.isVisible() and plot.chance.value() == pytest.approx(10.0)


def test_results_arrive_one_run_at_a_time(qtbot):
    plot = SweepPlot()
    qtbot.addWidget(plot)
    plot.set_plan(["linear_probe", "scratch"], PER_CLASS, 2)
    assert plot.points("linear_probe") == [] and len(plot.legend.items) == 2
    rows = _result().rows
    for row in rows[:3]:  # seeds 0 and 1 of linear_probe at 1, seed 0 at 5
        plot.add_result(row.to_dict())
    assert plot.points("linear_probe") == [(1, pytest.approx(42.0), pytest.approx(2.83, abs=0.01)),
                                           (5, pytest.approx(68.0), 0.0)]
    assert plot.tick_labels() == [(1, "1"), (5, "5"), (20, "20")]  # "all" once a run says how much it is
    for row in rows[3:]:
        plot.add_result(row)
    assert plot.tick_labels()[-1] == (50, "all")
    assert plot.points("scratch") == SweepPlot(_result().to_json()).points("scratch")


def test_save_png_writes_the_asked_size_with_the_curves_drawn(plot, tmp_path):
    plot.resize(500, 300)
    path = tmp_path / "sweep.png"
    plot.save_png(path)
    image = QImage(str(path))
    assert (image.width(), image.height()) == (900, 560)
    pixels = np.array([[image.pixelColor(x, y).rgb() for x in range(0, 900, 3)] for y in range(0, 560, 3)])
    white = QColor("white").rgb()
    assert (pixels != white).mean() > 0.02  # axes, text, curves: not blank
    blue = QColor(STRATEGY_COLORS["linear_probe"]).rgb()
    assert (pixels == blue).sum() > 50  # the linear probe's line
    plot.save_png(tmp_path / "small.png", size=(640, 400))
    assert QImage(str(tmp_path / "small.png")).size().toTuple() == (640, 400)
    assert plot.size().toTuple() == (500, 300)  # the shown widget keeps its size

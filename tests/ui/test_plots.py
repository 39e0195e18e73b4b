"""The live plots, driven through their public methods as the main window drives them.

Each test also saves a PNG of its widget under /tmp/plots_*.png, to look at by eye.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import pyqtgraph as pg
from PySide6.QtCore import Qt

from playground.ui.plots import LRPreview, MetricsPlots, ProbePlots
from playground.ui.plots import style
from playground.ui.plots.probes import RATIO_RULE
from tests.ui.plot_helpers import save_png


def epoch_records(start: int, count: int, classification: bool = True, steps_per_epoch: int = 7) -> list[dict]:
    records = []
    for e in range(start, start + count):
        loss = 1.0 / (1 + 0.01 * e)
        records.append({"type": "epoch", "epoch": e, "step": e * steps_per_epoch,
                        "train_loss": loss, "val_loss": loss * 1.1,
                        "train_acc": 1 - loss / 2 if classification else None,
                        "val_acc": 1 - loss / 1.8 if classification else None,
                        "lr": 0.1 / (1 + 0.001 * e)})
    return records


def probe_record(step: int, layers: int, rng: np.random.Generator, bounded: bool = True) -> dict:
    entries = []
    for i in range(layers):
        lo, hi = (-1.0, 1.0) if bounded else (0.0, 2.0 + i)
        entries.append({"name": f"dense{i + 1}", "act_mean": float(rng.normal(0, 0.01)),
                        "act_std": 0.5 * 0.8 ** i, "frac_zero": 0.0,
                        "frac_dead_units": 0.05 * i,
                        "frac_saturated": 0.02 * i if bounded else None,
                        "hist": {"lo": lo, "hi": hi, "counts": rng.integers(0, 500, 30).tolist()},
                        "grad_std": 1e-3 * 0.5 ** i, "update_ratio": 1e-3 * 2.0 ** (i - 3),
                        "weight_std": 0.1})
    return {"type": "probe", "step": step, "layers": entries}


# -- MetricsPlots -------------------------------------------------------------------------------
def test_metrics_curves_show_the_records(qtbot):
    plots = MetricsPlots()
    qtbot.addWidget(plots)
    first, second = epoch_records(0, 5), epoch_records(5, 8)
    plots.add_epochs(first)
    assert plots.point_count() == 5
    plots.add_epochs(second)
    assert plots.point_count() == 13
    records = first + second
    for name in ("train_loss", "val_loss", "train_acc", "val_acc", "lr"):
        x, y = plots.curve_data(name)
        np.testing.assert_array_equal(x, [r["epoch"] for r in records])
        np.testing.assert_allclose(y, [r[name] for r in records])
    assert not plots.acc_plot.isHidden() and plots.no_acc_label.isHidden()

    plots.set_x_axis("steps")
    x, y = plots.curve_data("val_loss")
    np.testing.assert_array_equal(x, [r["step"] for r in records])
    assert plots.loss_plot.getPlotItem().getAxis("bottom").labelText == "step"
    save_png(qtbot, plots, "metrics", (800, 700))

    plots.clear()
    assert plots.point_count() == 0
    assert len(plots.curve_data("train_loss")[0]) == 0


def test_metrics_regression_has_no_accuracy_plot(qtbot):
    plots = MetricsPlots()
    qtbot.addWidget(plots)
    plots.add_epochs(epoch_records(0, 20, classification=False))
    assert plots.acc_plot.isHidden()
    assert not plots.no_acc_label.isHidden()
    assert "regression" in plots.no_acc_label.text()
    assert np.isnan(plots.curve_data("train_acc")[1]).all()
    save_png(qtbot, plots, "metrics_regression", (800, 600))


def test_metrics_missing_values_are_gaps(qtbot):
    """No validation split: val_loss is None, drawn as NaN (nothing), not as zeros."""
    plots = MetricsPlots()
    qtbot.addWidget(plots)
    records = epoch_records(0, 4)
    for r in records:
        r["val_loss"] = r["val_acc"] = None
    plots.add_epochs(records)
    assert np.isnan(plots.curve_data("val_loss")[1]).all()
    np.testing.assert_allclose(plots.curve_data("train_loss")[1], [r["train_loss"] for r in records])


def test_metrics_log_toggle_sets_log_mode(qtbot):
    plots = MetricsPlots()
    qtbot.addWidget(plots)
    plots.add_epochs(epoch_records(0, 50))
    axis = plots.loss_plot.getPlotItem().getAxis("left")
    assert not axis.logMode
    plots.set_log_scale(True)
    assert axis.logMode and plots.log_scale.isChecked()
    assert plots.loss_plot.getPlotItem().ctrl.logYCheck.isChecked()
    save_png(qtbot, plots, "metrics_log", (800, 700))
    plots.log_scale.setChecked(False)  # the user's click goes the same way
    assert not axis.logMode
    assert plots.log_scale.toolTip()


def test_metrics_100k_epochs_in_batches_stay_cheap(qtbot):
    plots = MetricsPlots()
    qtbot.addWidget(plots)
    batch = 1000
    batches = [epoch_records(start, batch) for start in range(0, 100_000, batch)]
    started = time.perf_counter()
    for records in batches:
        plots.add_epochs(records)
    elapsed = time.perf_counter() - started
    assert plots.point_count() == 100_000
    assert elapsed < 10, f"100 batches of 1000 epochs took {elapsed:.1f} s"

    buffer = plots._buffer
    assert isinstance(buffer._data, np.ndarray)
    capacity = buffer.capacity
    assert capacity >= buffer.count and capacity & (capacity - 1) == 0  # a power of two
    assert capacity < 2 * buffer.count  # memory bounded by 2x the data
    assert buffer.nbytes == buffer.columns * capacity * 8
    # the curves draw views of the buffer: no per-update copies of the history
    x, y = plots._curves["train_loss"].getOriginalDataset()
    assert np.shares_memory(y, buffer._data)

    for item in (plots.loss_plot, plots.acc_plot, plots.lr_plot):
        item = item.getPlotItem()
        assert item.ctrl.clipToViewCheck.isChecked()
        assert item.ctrl.downsampleCheck.isChecked() and item.ctrl.peakRadio.isChecked()
    x, y = plots.curve_data("train_loss")
    assert x[-1] == 99_999 and y[-1] == pytest.approx(1 / (1 + 999.99))
    assert plots._curves["train_loss"].opts["autoDownsampleFactor"] <= 2

    save_png(qtbot, plots, "metrics_100k", (800, 700))
    started = time.perf_counter()
    for _ in range(5):
        plots.add_epochs(epoch_records(plots.point_count(), 10))
        plots.grab()  # a full repaint, as each frame of a live run
    per_frame = (time.perf_counter() - started) / 5
    assert per_frame < 0.25, f"{per_frame * 1000:.0f} ms per frame at 100k epochs"
    # thick antialiased lines cost ~100x beyond a few hundred points: off for long curves
    assert not plots._curves["train_loss"].opts["antialias"]

    plots.clear()
    assert plots._buffer.capacity == style.GrowingColumns.MIN_CAPACITY
    plots.add_epochs(epoch_records(0, 3))
    assert plots._curves["train_loss"].opts["antialias"]  # short curves stay smooth


def test_growing_columns_double():
    buffer = style.GrowingColumns(2)
    seen = set()
    for k in range(1, 2000, 37):
        buffer.append(np.full((2, k), float(k)))
        seen.add(buffer.capacity)
        assert buffer.capacity >= buffer.count
        assert buffer.count <= style.GrowingColumns.MIN_CAPACITY or buffer.capacity < 2 * buffer.count
    assert all(c & (c - 1) == 0 for c in seen)
    expected = np.concatenate([np.full(k, float(k)) for k in range(1, 2000, 37)])
    np.testing.assert_array_equal(buffer.column(1), expected)


# -- ProbePlots ---------------------------------------------------------------------------------
def test_probe_histograms_one_per_layer_with_the_counts(qtbot):
    rng = np.random.default_rng(0)
    plots = ProbePlots()
    qtbot.addWidget(plots)
    records = [probe_record(step, 10, rng) for step in (0, 10, 20)]
    plots.add_probes(records)
    assert len(plots.histogram_plots) == 10 and len(plots.histogram_bars) == 10
    latest = records[-1]["layers"]
    for bars, layer in zip(plots.histogram_bars, latest):
        np.testing.assert_array_equal(bars.opts["height"], layer["hist"]["counts"])
        np.testing.assert_allclose(bars.opts["x0"][0], layer["hist"]["lo"])
        np.testing.assert_allclose(bars.opts["x0"][-1] + bars.opts["width"], layer["hist"]["hi"])
    assert "dense1" in plots.histogram_plots[0].titleLabel.text
    assert "σ" in plots.histogram_plots[0].titleLabel.text
    assert all(name in plots.legend_label.text() for name in ("dense1", "dense10"))
    np.testing.assert_allclose(plots.dead_bars.opts["height"], [l["frac_dead_units"] for l in latest])
    np.testing.assert_allclose(plots.sat_bars.opts["height"], [l["frac_saturated"] for l in latest])
    assert not plots.sat_note.isVisible()
    save_png(qtbot, plots, "probes_10_layers", (1500, 650))

    # same layer count: items are updated in place, not re-created
    bars_before = list(plots.histogram_bars)
    plots.add_probes([probe_record(30, 10, rng)])
    assert plots.histogram_bars == bars_before
    assert plots.probe_count() == 4

    # a 2-layer network: 2 histograms left, the history restarts
    two = [probe_record(0, 2, rng, bounded=False)]
    plots.add_probes(two)
    assert len(plots.histogram_plots) == 2
    assert len(plots.hist_view.ci.items) == 2
    for bars, layer in zip(plots.histogram_bars, two[0]["layers"]):
        np.testing.assert_array_equal(bars.opts["height"], layer["hist"]["counts"])
    assert plots.probe_count() == 1
    assert plots.sat_note.isVisible()  # ReLU-like: nothing can saturate
    # one x range for all layers (layer 1 spans 0..2, layer 2 0..3), or each its own
    first, second = (p.getViewBox().viewRange()[0] for p in plots.histogram_plots)
    assert first == pytest.approx(second) and first[1] >= 3.0
    plots.shared_x.setChecked(False)
    first, second = (p.getViewBox().viewRange()[0] for p in plots.histogram_plots)
    assert first[1] < 2.5 <= second[1]
    plots.shared_x.setChecked(True)
    save_png(qtbot, plots, "probes_2_layers", (1200, 600))


def test_probe_curves_and_update_ratio_reference(qtbot):
    rng = np.random.default_rng(1)
    plots = ProbePlots()
    qtbot.addWidget(plots)
    records = [probe_record(step, 3, rng) for step in range(0, 100, 10)]
    plots.add_probes(records[:4])
    plots.add_probes(records[4:])
    for series in ("act_std", "grad_std", "update_ratio"):
        assert len(plots.curves[series]) == 3
        for i in range(3):
            steps, values = plots.curve_data(series, i)
            np.testing.assert_array_equal(steps, [r["step"] for r in records])
            np.testing.assert_allclose(values, [r["layers"][i][series] for r in records])
    ratio = plots.ratio_plot.getPlotItem()
    assert ratio.getAxis("left").logMode
    assert plots.grad_std_plot.getPlotItem().getAxis("left").logMode
    assert plots.ratio_reference in ratio.items
    assert 10 ** plots.ratio_reference.value() == pytest.approx(RATIO_RULE)
    assert plots.ratio_reference.pen.style() == Qt.PenStyle.DashLine
    # one colour per layer, the same in the histograms and the curves
    for i in range(3):
        assert plots.curves["act_std"][i].opts["pen"].color() == pg.mkColor(plots.histogram_bars[i].opts["brush"])
    assert "1e-3" in plots.ratio_plot.toolTip()
    save_png(qtbot, plots, "probes_3_layers", (1300, 600))
    plots.clear()
    assert plots.histogram_plots == [] and plots.probe_count() == 0


def test_probe_zero_update_ratio_on_log_axis_does_not_break(qtbot):
    """A frozen layer has update ratio 0: log10 gives -inf, which must just leave a gap."""
    rng = np.random.default_rng(2)
    plots = ProbePlots()
    qtbot.addWidget(plots)
    records = [probe_record(step, 2, rng) for step in range(0, 50, 10)]
    for r in records:
        r["layers"][0]["update_ratio"] = 0.0
    plots.add_probes(records)
    save_png(qtbot, plots, "probes_frozen", (1000, 500))


# -- LRPreview ----------------------------------------------------------------------------------
def test_lr_preview_curve_and_log(qtbot):
    preview = LRPreview()
    qtbot.addWidget(preview)
    lrs = [0.1 * 0.5 ** (e // 10) for e in range(100)]
    preview.set_curve(lrs)
    x, y = preview.curve_data()
    np.testing.assert_allclose(y, lrs)
    np.testing.assert_array_equal(x, np.arange(1, 101))
    save_png(qtbot, preview, "lrpreview", (400, 250))
    preview.set_log_scale(True)
    assert preview.plot.getPlotItem().getAxis("left").logMode
    save_png(qtbot, preview, "lrpreview_log", (400, 250))


# -- the Qt binding itself ----------------------------------------------------------------------
def test_qt_calls_keep_the_refcount_of_none(qtbot):
    """Every live plot makes thousands of void Qt calls a second. PySide6 6.12.0 on Python 3.11
    returns None from them without a reference (fine only where None is immortal, 3.12+), so the
    app aborts with 'none_dealloc' after ~5000 such calls; 6.11.3 is fine. Fail here, clearly."""
    import sys

    from PySide6.QtWidgets import QWidget

    widget = QWidget()
    qtbot.addWidget(widget)
    before = sys.getrefcount(None)
    for _ in range(200):
        widget.update()
    lost = before - sys.getrefcount(None)
    assert lost < 100, (f"each void Qt call drops a reference to None ({lost} lost in 200 calls): "
                        "this PySide6 build crashes on this Python; use PySide6 < 6.12 or Python >= 3.12")


def test_edge_cases_do_not_raise(qtbot):
    """A network without hidden layers, empty batches, a diverged first point."""
    probes = ProbePlots()
    qtbot.addWidget(probes)
    probes.add_probes([{"type": "probe", "step": 0, "layers": []}])
    assert probes.histogram_plots == [] and "no hidden layers" in probes.legend_label.text()
    probes.add_probes([])

    plots = MetricsPlots()
    qtbot.addWidget(plots)
    plots.add_epochs([])
    plots.add_epochs([{"type": "epoch", "epoch": 0, "step": 0, "train_loss": float("inf"),
                       "val_loss": float("nan"), "train_acc": 0.1, "val_acc": 0.1, "lr": 0.1}])
    plots.set_log_scale(True)
    save_png(qtbot, plots, "metrics_one_diverged_point", (600, 500))

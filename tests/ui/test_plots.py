"""The live plots, driven as the main window drives every view: ``add(records)`` and ``clear()``.

Each test also saves a PNG of its widget under /tmp/plots_*.png, to look at by eye.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollArea, QTabWidget

from playground.ui.plots import MetricsPlots, ProbePlots, style
from playground.ui.plots.probes import DRAW_HZ, RATIO_RULE, UNPROBED_MS
from tests.ui.plot_helpers import axis_labels, save_png

TAB = (590, 330)  # what the plot tabs get in a 1280x720 window
BOUND = 5000  # points a curve may hold, whatever the length of the run


def epoch_records(start: int, count: int, classification: bool = True, steps_per_epoch: int = 7) -> list[dict]:
    records = []
    for e in range(start, start + count):
        loss = 1.0 / (1 + 0.01 * e)
        records.append({"type": "epoch", "run": 1, "epoch": e, "step": e * steps_per_epoch,
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
    return {"type": "probe", "run": 1, "step": step, "layers": entries}


def ready_record(steps_per_epoch: int, epoch: int = 0, step: int = 0) -> dict:
    return {"type": "ready", "run": 1, "steps_per_epoch": steps_per_epoch, "epoch": epoch, "step": step}


def steps_record(step: int, losses: list) -> dict:
    return {"type": "steps", "run": 1, "step": step, "loss": losses}


def view_range(plot: pg.PlotWidget) -> tuple[list[float], list[float]]:
    return plot.getPlotItem().getViewBox().viewRange()


def scene_items(*widgets) -> int:
    return sum(len(w.scene().items()) for w in widgets)


def let_probes_draw(qtbot) -> None:
    """ProbePlots draws at once, then at most DRAW_HZ times a second: wait for the next draw."""
    qtbot.wait(1000 // DRAW_HZ + 30)


# -- the view contract -------------------------------------------------------------------------
def test_views_take_every_record_and_pick_their_own(qtbot):
    """The window hands each view every batch of the run's records, of all types."""
    rng = np.random.default_rng(0)
    metrics, probes = MetricsPlots(), ProbePlots()
    for view in (metrics, probes):
        qtbot.addWidget(view)
    records = [{"type": "hello", "run": None}, ready_record(7), *epoch_records(0, 3),
               probe_record(0, 2, rng), steps_record(0, [0.9, 0.8]),
               {"type": "counters", "run": 1, "epoch": 2, "step": 14},
               {"type": "message", "run": 1, "level": "info", "text": "hi"}, {"type": "snapshot", "run": 1},
               {"type": "end", "run": 1, "reason": "completed", "message": "", "epoch": 2, "step": 14}]
    for view in (metrics, probes):
        view.add(records)
    assert metrics.point_count() == 3 and probes.probe_count() == 1
    assert not hasattr(metrics, "add_epochs") and not hasattr(probes, "add_probes")
    for view in (metrics, probes):
        view.clear()
    assert metrics.point_count() == 0 and probes.probe_count() == 0


# -- MetricsPlots -------------------------------------------------------------------------------
def test_metrics_curves_show_the_records(qtbot):
    plots = MetricsPlots()
    qtbot.addWidget(plots)
    first, second = epoch_records(0, 5), epoch_records(5, 8)
    plots.add(first)
    assert plots.point_count() == 5
    plots.add(second)
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
    np.testing.assert_array_equal(plots.curve_data("lr")[0], [r["step"] for r in records])
    assert plots.loss_plot.getPlotItem().getAxis("bottom").labelText == "step"
    for plot in (plots.acc_plot, plots.lr_plot):  # one x range for all three
        assert view_range(plot)[0] == pytest.approx(view_range(plots.loss_plot)[0])
    save_png(qtbot, plots, "metrics", TAB)

    plots.clear()
    assert plots.point_count() == 0
    assert len(plots.curve_data("train_loss")[0]) == 0


def test_metrics_regression_has_no_accuracy_plot(qtbot):
    plots = MetricsPlots()
    qtbot.addWidget(plots)
    plots.add(epoch_records(0, 20, classification=False))
    assert plots.acc_plot.isHidden()
    assert not plots.no_acc_label.isHidden()
    assert "regression" in plots.no_acc_label.text()
    assert np.isnan(plots.curve_data("train_acc")[1]).all()
    save_png(qtbot, plots, "metrics_regression", TAB)


def test_metrics_missing_values_are_gaps(qtbot):
    """No validation split: val_loss is None, drawn as NaN (nothing), not as zeros."""
    plots = MetricsPlots()
    qtbot.addWidget(plots)
    records = epoch_records(0, 4)
    for r in records:
        r["val_loss"] = r["val_acc"] = None
    plots.add(records)
    assert np.isnan(plots.curve_data("val_loss")[1]).all()
    np.testing.assert_allclose(plots.curve_data("train_loss")[1], [r["train_loss"] for r in records])


def test_metrics_log_toggle_sets_log_mode(qtbot):
    plots = MetricsPlots()
    qtbot.addWidget(plots)
    plots.add(epoch_records(0, 50))
    axis = plots.loss_plot.getPlotItem().getAxis("left")
    assert not axis.logMode
    plots.set_log_scale(True)
    assert axis.logMode and plots.log_scale.isChecked()
    assert plots.loss_plot.getPlotItem().ctrl.logYCheck.isChecked()
    save_png(qtbot, plots, "metrics_log", TAB)
    plots.log_scale.setChecked(False)  # the user's click goes the same way
    assert not axis.logMode
    assert plots.log_scale.toolTip()


@pytest.mark.parametrize("x_axis", ["epochs", "steps"])
def test_diverging_run_shows_its_batch_losses(qtbot, x_axis):
    """Defect 8: LR 3 diverged within the first epoch; the plot showed the epoch-0 point and
    nothing else. The batch losses climb until the loss is no longer finite (null)."""
    plots = MetricsPlots()
    qtbot.addWidget(plots)
    plots.set_x_axis(x_axis)
    climb = [2.8, 10.5, 45.0, 3e3, 1e6, 1e11, 1.8e23, None]
    plots.add([ready_record(90), epoch_records(0, 1, steps_per_epoch=90)[0]])
    plots.add([steps_record(0, climb),
               {"type": "end", "run": 1, "reason": "diverged", "message": "", "epoch": 0, "step": 7}])
    x, y = plots.curve_data("batch_loss")
    steps = np.arange(1, len(climb) + 1)  # loss[i] is the batch of step 1 + i
    np.testing.assert_allclose(x, steps if x_axis == "steps" else steps / 90)
    np.testing.assert_allclose(y[:-1], climb[:-1])
    assert np.isnan(y[-1])
    finite_x = x[np.isfinite(y)]
    (x_lo, x_hi), (_, y_hi) = view_range(plots.loss_plot)
    assert x_lo <= 0 and finite_x.max() <= x_hi <= 2 * finite_x.max()
    assert y_hi >= 1.8e23  # the climb is in view, not above it
    # the batch losses lie under the epoch curves, thinner and paler
    batch, train = plots.batch_curve, plots._curves["train_loss"]
    assert batch.zValue() < train.zValue()
    assert batch.opts["pen"].widthF() < train.opts["pen"].widthF()
    assert batch.opts["pen"].color().alpha() < 255
    plots.set_log_scale(True)
    save_png(qtbot, plots, f"metrics_diverged_{x_axis}", TAB)


def test_clear_resets_titles_and_the_lr_axis_is_log_with_numbers(qtbot):
    """Defect 10: before Play the LR title still said the last run's LR; the linear LR axis had
    no numbers and showed 4e-5 as 0."""
    plots = MetricsPlots()
    qtbot.addWidget(plots)
    records = epoch_records(0, 5)
    for r in records:
        r["lr"] = 4e-5
    plots.add(records)
    save_png(qtbot, plots, "metrics_small_lr", TAB)
    assert plots.lr_plot.getPlotItem().titleLabel.text == "Learning rate: 4e-5"
    axis = plots.lr_plot.getPlotItem().getAxis("left")
    assert axis.logMode and axis.style["showValues"]
    labels = [text for text, _ in axis_labels(axis)]
    assert labels and all(text not in ("0", "0.0") for text in labels)
    lo, hi = view_range(plots.lr_plot)[1]
    assert lo < np.log10(4e-5) < hi

    plots.clear()  # no event loop in between: at once
    assert plots.lr_plot.getPlotItem().titleLabel.text == "Learning rate"
    assert plots.acc_plot.getPlotItem().titleLabel.text == "Accuracy"
    assert len(plots.curve_data("lr")[0]) == 0


def test_metrics_tab_fits_at_1280x720(qtbot):
    """Defect 4: the legend and the log checkbox were cut off and the plots needed more height
    than the tab has."""
    plots = MetricsPlots()
    qtbot.addWidget(plots)
    plots.add([ready_record(25), *epoch_records(0, 40, steps_per_epoch=25),
               steps_record(0, list(np.linspace(1, 0.3, 1000)))])
    assert plots.minimumSizeHint().height() <= TAB[1] and plots.minimumSizeHint().width() <= TAB[0]
    save_png(qtbot, plots, "metrics_tab", TAB)
    for widget in (plots.log_scale, plots.x_axis, plots.loss_plot, plots.acc_plot, plots.lr_plot):
        assert plots.rect().contains(widget.geometry()), widget
    assert plots.log_scale.geometry().width() >= plots.log_scale.sizeHint().width()
    assert plots.acc_plot.height() >= 80 and plots.lr_plot.height() >= 80
    assert plots.loss_plot.height() >= 140
    title = plots.loss_plot.getPlotItem().titleLabel
    assert "train" in title.text and "validation" in title.text and "batches" in title.text
    assert title.item.boundingRect().width() <= plots.loss_plot.width()


def test_metrics_history_is_bounded(qtbot, capsys):
    """Defect 14: 100,000 epochs and 300,000 batch losses keep a bounded, evenly thinned history
    whose newest point is the last record, and a repaint stays fast."""
    plots = MetricsPlots()
    qtbot.addWidget(plots)
    plots.add([ready_record(3)])
    started = time.perf_counter()
    for start in range(0, 100_000, 1000):
        plots.add(epoch_records(start, 1000, steps_per_epoch=3)
                  + [steps_record(3 * start, list(np.full(3000, 0.5)))])
    elapsed = time.perf_counter() - started
    assert plots.point_count() <= BOUND
    for name in ("train_loss", "lr", "batch_loss"):
        x, y = plots.curve_data(name)
        assert len(x) <= BOUND
        assert (np.diff(x) > 0).all()
    x, y = plots.curve_data("train_loss")
    assert x[-1] == 99_999 and y[-1] == pytest.approx(1 / (1 + 999.99))
    assert plots.curve_data("batch_loss")[0][-1] == pytest.approx(300_000 / 3)
    # the curves draw views of the history: no per-update copies
    assert np.shares_memory(plots._curves["train_loss"].getOriginalDataset()[1], plots._epochs._data)
    for item in (plots.loss_plot, plots.acc_plot, plots.lr_plot):
        item = item.getPlotItem()
        assert item.ctrl.clipToViewCheck.isChecked()
        assert item.ctrl.downsampleCheck.isChecked() and item.ctrl.peakRadio.isChecked()

    save_png(qtbot, plots, "metrics_100k", TAB)
    started = time.perf_counter()
    for _ in range(5):
        plots.add(epoch_records(100_000 + _, 1))
        plots.grab()  # a full repaint, as each frame of a live run
    per_frame = (time.perf_counter() - started) / 5
    with capsys.disabled():
        print(f"\n100k epochs + 300k batch losses in 100 batches: {elapsed * 1000:.0f} ms; "
              f"a frame at the end: {per_frame * 1000:.1f} ms")
    assert per_frame < 0.5, f"{per_frame * 1000:.0f} ms per frame at 100k epochs"
    assert not plots._curves["train_loss"].opts["antialias"]  # long curves: no antialiasing

    plots.clear()
    plots.add(epoch_records(0, 3))
    assert plots._curves["train_loss"].opts["antialias"]  # short curves stay smooth


def test_metrics_never_go_back(qtbot):
    """An epoch or batch behind the newest one kept is ignored; the same epoch replaces it."""
    plots = MetricsPlots()
    qtbot.addWidget(plots)
    plots.add([ready_record(7), *epoch_records(0, 10), steps_record(0, [1.0] * 70)])
    stale = epoch_records(3, 2)
    plots.add([*stale, steps_record(20, [9.0] * 5)])
    x, _ = plots.curve_data("train_loss")
    np.testing.assert_array_equal(x, np.arange(10))
    bx, by = plots.curve_data("batch_loss")
    assert (np.diff(bx) > 0).all() and (by == 1.0).all()
    again = epoch_records(9, 1)[0] | {"train_loss": 5.0}
    plots.add([again])
    x, y = plots.curve_data("train_loss")
    assert len(x) == 10 and y[-1] == 5.0
    plots.clear()  # a new run: its epoch 0 comes after the old run's epoch 9
    plots.add(epoch_records(0, 2))
    np.testing.assert_array_equal(plots.curve_data("train_loss")[0], [0, 1])


# -- the bounded history ------------------------------------------------------------------------
def test_history_thins_evenly_and_keeps_the_newest():
    history = style.History(2, limit=64)
    total = 0
    for k in (1, 5, 63, 200, 1, 1000, 7):
        x = np.arange(total, total + k, dtype=float)
        history.append(np.vstack([x, -x]))
        total += k
        kept = history.column(0)
        assert len(kept) <= 65
        assert kept[-1] == total - 1  # the newest, always
        np.testing.assert_array_equal(history.column(1), -kept)
        evenly = kept[:-1] if len(kept) > 1 and (total - 1) % history.stride else kept
        assert (np.diff(evenly) == history.stride).all() and evenly[0] == 0
    assert history.stride == 32  # 1277 points: 40 kept every 32nd, plus the newest

    history.append(np.array([[total - 1.0], [7.0]]))  # the same x: replaces the newest
    assert history.column(0)[-1] == total - 1 and history.column(1)[-1] == 7.0
    history.append(np.array([[total, total], [1.0, 2.0]]))  # equal x in a block: the later one
    assert history.column(0)[-1] == total and history.column(1)[-1] == 2.0
    history.clear()
    assert history.count == 0 and history.newest_x == -np.inf


# -- axes ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("top, width", [(2000, 100), (300_000, 150), (1_200_000, 200), (2.5, 80), (3e-4, 120)])
def test_x_axis_labels_never_run_together(qtbot, top, width):
    """Defect 4: "10001500" and "0 100000200000" on narrow plots."""
    plot = style.plot_widget("t", "step")
    qtbot.addWidget(plot)
    plot.resize(width + 60, 160)
    plot.show()
    plot.getPlotItem().setXRange(0, top, padding=0.02)
    for _ in range(2):
        plot.grab()
    labels = axis_labels(plot.getPlotItem().getAxis("bottom"))
    texts = [text for text, _ in labels]
    assert len(labels) >= 2, texts
    rects = sorted((rect for _, rect in labels), key=lambda r: r.left())
    assert all(a.right() + 4 <= b.left() for a, b in itertools.pairwise(rects)), texts
    assert all(len(text) <= 5 for text in texts), texts
    if top >= 300_000:
        assert any(text.endswith(("k", "M")) for text in texts), texts


def test_log_axis_labels_fit_any_range(qtbot):
    """A short log axis labels a few decades, a tall one more; a huge range costs no more."""
    plot = style.plot_widget("t")
    qtbot.addWidget(plot)
    item = plot.getPlotItem()
    style.set_log_y(item, True)
    axis = item.getAxis("left")
    for height, (lo, hi) in ((120, (-7, 0)), (300, (-2, 0)), (120, (-1.6, -1.3)), (120, (-300, 300))):
        levels = axis.tickValues(lo, hi, height)
        labelled = levels[0][1]
        assert 1 <= len(labelled) <= height / 20, (lo, hi, labelled)
        assert all(len(values) < 200 for _, values in levels)
        assert all(text for text in axis.tickStrings(labelled, 1.0, 1.0))


# -- ProbePlots ---------------------------------------------------------------------------------
def test_probe_histograms_one_per_layer_with_the_counts(qtbot):
    rng = np.random.default_rng(0)
    plots = ProbePlots()
    qtbot.addWidget(plots)
    records = [probe_record(step, 10, rng) for step in (0, 10, 20)]
    plots.add(records)
    plots.flush()
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
    save_png(qtbot, plots, "probes_10_layers", (590, 700))

    # same layer count: items are updated in place, not re-created
    bars_before = list(plots.histogram_bars)
    plots.add([probe_record(30, 10, rng)])
    assert plots.histogram_bars == bars_before
    assert plots.probe_count() == 4

    # a 2-layer network: 2 histograms shown, the history restarts
    two = [probe_record(0, 2, rng, bounded=False)]
    plots.add(two)
    let_probes_draw(qtbot)
    assert len(plots.histogram_plots) == 2
    assert sum(p.isVisible() for p in plots.hist_view.ci.items) == 2
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
    save_png(qtbot, plots, "probes_2_layers", (590, 600))
    for i, curve in enumerate(plots.curves["act_std"][:2]):  # recoloured for two layers, dots too
        brush = plots.histogram_bars[i].opts["brush"]
        assert curve.opts["pen"].color() == pg.mkColor(brush) == pg.mkBrush(curve.opts["symbolBrush"]).color()
    # the two share the width: the hidden rest of the pool takes no room, in any width
    for width in (590, 400):
        save_png(qtbot, plots, f"probes_2_layers_{width}", (width, 600))
        for plot in plots.histogram_plots:
            assert plot.geometry().width() >= 0.4 * plots.hist_view.width()
            assert plot.geometry().height() >= 0.8 * plots.hist_view.height()


def test_probe_curves_and_update_ratio_reference(qtbot):
    rng = np.random.default_rng(1)
    plots = ProbePlots()
    qtbot.addWidget(plots)
    records = [probe_record(step, 3, rng) for step in range(0, 100, 10)]
    plots.add(records[:4])
    plots.add(records[4:])
    for series in ("act_std", "grad_std", "update_ratio"):
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
    save_png(qtbot, plots, "probes_3_layers", (590, 600))
    plots.clear()  # forgets at once; the plots empty at the next draw (curve_data waits for it)
    assert plots.histogram_plots == [] and plots.probe_count() == 0
    assert all(len(plots.curve_data(s, i)[0]) == 0 for s in ("act_std", "update_ratio") for i in range(3))
    assert plots.header.text() == "Activations per layer"
    frames = [p for p in plots.hist_view.ci.items if p.isVisible()]
    assert len(frames) == 3  # empty, until the new run's first probe says which layers it has
    assert all(not bars.opts["height"].any() for _, bars in plots._hist_pool[:3])
    qtbot.wait(UNPROBED_MS + 100)  # no probe comes (no hidden layers): nothing stays
    assert not any(p.isVisible() for p in plots.hist_view.ci.items) and not plots.legend_label.text()


def test_probe_zero_update_ratio_on_log_axis_does_not_break(qtbot):
    """A frozen layer has update ratio 0: log10 gives -inf, which must just leave a gap."""
    rng = np.random.default_rng(2)
    plots = ProbePlots()
    qtbot.addWidget(plots)
    records = [probe_record(step, 2, rng) for step in range(0, 50, 10)]
    for r in records:
        r["layers"][0]["update_ratio"] = 0.0
    plots.add(records)
    save_png(qtbot, plots, "probes_frozen", (590, 500))


def test_untrained_probe_shows_before_play_and_is_replaced(qtbot):
    """The probe of the untrained network comes at step 0 with no update ratio; when training
    starts, the real step-0 probe replaces it instead of adding a second point at step 0."""
    rng = np.random.default_rng(3)
    plots = ProbePlots()
    qtbot.addWidget(plots)
    untrained = probe_record(0, 4, rng)
    for layer in untrained["layers"]:
        layer["update_ratio"] = None
    plots.add([ready_record(10), untrained])
    plots.flush()
    assert plots.probe_count() == 1 and len(plots.histogram_plots) == 4
    assert "step 0" in plots.header.text()
    assert np.isnan(plots.curve_data("update_ratio", 0)[1]).all()
    save_png(qtbot, plots, "probes_untrained", TAB)
    real = probe_record(0, 4, rng)
    plots.add([real])
    plots.add([probe_record(50, 4, rng)])
    steps, ratios = plots.curve_data("update_ratio", 2)
    np.testing.assert_array_equal(steps, [0, 50])
    assert ratios[0] == pytest.approx(real["layers"][2]["update_ratio"])


def test_probes_never_go_back(qtbot):
    """Defect 14's curves jumped back in x: a probe behind the newest one kept is ignored."""
    rng = np.random.default_rng(4)
    plots = ProbePlots()
    qtbot.addWidget(plots)
    plots.add([probe_record(s, 2, rng) for s in range(0, 101, 10)])
    old_run = [probe_record(s, 2, rng) for s in (30, 40)]
    plots.add(old_run)
    steps, _ = plots.curve_data("act_std", 0)
    np.testing.assert_array_equal(steps, np.arange(0, 101, 10))
    assert "step 100" in plots.header.text()
    plots.clear()
    plots.add(old_run)
    np.testing.assert_array_equal(plots.curve_data("act_std", 0)[0], [30, 40])


def test_ten_layers_readable_in_the_tab(qtbot):
    """Defect 5: with ten layers the histograms showed dense1..dense8, the 8th cut in half, and
    the curve titles were cut ("Activation st")."""
    rng = np.random.default_rng(5)
    plots = ProbePlots()
    scroll = QScrollArea()  # as the window shows it
    scroll.setWidgetResizable(True)
    scroll.setWidget(plots)
    qtbot.addWidget(scroll)
    plots.add([probe_record(s, 10, rng) for s in (0, 50)])
    plots.flush()
    save_png(qtbot, scroll, "probes_tab_10_layers", TAB)
    assert plots.minimumSizeHint().width() <= TAB[0] - scroll.verticalScrollBar().sizeHint().width()
    assert not scroll.horizontalScrollBar().isVisible()
    assert scroll.verticalScrollBar().isVisible()
    view = plots.hist_view.rect()
    rows = set()
    for plot in plots.histogram_plots:
        box = plot.mapRectToScene(plot.boundingRect())
        assert box.width() >= 90 and view.contains(box.toRect()), box
        rows.add(round(box.top()))
        title = plot.titleLabel
        assert title.item.boundingRect().width() <= box.width()
    assert len(rows) == 2  # two rows of five
    assert plots.hist_view.height() + plots.hist_view.y() <= TAB[1]  # all ten without scrolling
    for plot in (plots.act_std_plot, plots.grad_std_plot, plots.ratio_plot, plots.dead_plot, plots.sat_plot):
        item = plot.getPlotItem()
        assert item.titleLabel.item.boundingRect().width() <= item.vb.width() + item.getAxis("left").width(), \
            item.titleLabel.text


def test_long_run_probes_are_bounded(qtbot, capsys):
    """Defect 14: 300,000 steps probed every 50 (6,000 records) froze the window; the history
    stays bounded, x increasing, the newest probe last, the step labels short."""
    rng = np.random.default_rng(6)
    plots = ProbePlots()
    qtbot.addWidget(plots)
    save_png(qtbot, plots, "probes_long_start", (590, 600))
    records = [probe_record(step, 2, rng) for step in range(0, 300_000, 50)]
    started = time.perf_counter()
    for i in range(0, len(records), 20):
        plots.add(records[i:i + 20])
    elapsed = time.perf_counter() - started
    assert plots.probe_count() <= BOUND
    for series in ("act_std", "update_ratio"):
        steps, values = plots.curve_data(series, 1)
        assert (np.diff(steps) > 0).all()
        assert steps[-1] == records[-1]["step"] and values[-1] == records[-1]["layers"][1][series]
    save_png(qtbot, plots, "probes_300k_steps", (590, 600))
    labels = [text for text, _ in axis_labels(plots.act_std_plot.getPlotItem().getAxis("bottom"))]
    assert labels and all(len(text) <= 4 for text in labels), labels
    times = []
    for plot in (plots, plots.act_std_plot, plots.grad_std_plot, plots.ratio_plot):
        started = time.perf_counter()
        plot.grab()
        times.append(time.perf_counter() - started)
    with capsys.disabled():
        print(f"\n6000 probes in 300 batches: {elapsed * 1000:.0f} ms; repaint of the tab and its "
              f"curve plots: {', '.join(f'{t * 1000:.1f}' for t in times)} ms")


# -- the edit storm: clear and add on the GUI thread -------------------------------------------
@pytest.mark.parametrize("layers", [6, 10])
def test_clear_and_add_build_nothing(qtbot, capsys, layers):
    """During an edit storm (20 edits a second while training) each edit clears every view and
    the new run's first records follow: no pyqtgraph item may be made or destroyed, no layout
    redone (``playground bench --window`` times the calls)."""
    rng = np.random.default_rng(7)
    metrics, probes = MetricsPlots(), ProbePlots()
    for view in (metrics, probes):
        qtbot.addWidget(view)
        view.resize(*TAB)
        view.show()

    def first_records() -> list[dict]:
        return [ready_record(10), epoch_records(0, 1, steps_per_epoch=10)[0], probe_record(0, layers, rng)]

    def batch(step: int) -> list[dict]:
        return [*epoch_records(step // 10, 1, steps_per_epoch=10), probe_record(step, layers, rng),
                steps_record(step - 10, list(rng.random(10))),
                {"type": "counters", "run": 1, "epoch": step // 10, "step": step}]

    widgets = (probes.hist_view, probes.act_std_plot, probes.dead_plot, metrics.loss_plot, metrics.lr_plot)
    for view in (metrics, probes):
        view.add(first_records())
        view.add(batch(10))
    probes.flush()  # the first network of this depth makes its items: the pools then hold them
    items = scene_items(*widgets)
    shown = [p.isVisible() for p in probes.hist_view.ci.items]
    clear_ms, first_ms, add_ms = [], [], []
    for edit in range(20):
        for view in (metrics, probes):
            started = time.perf_counter()
            view.clear()
            clear_ms.append(time.perf_counter() - started)
            records = first_records()
            started = time.perf_counter()
            view.add(records)
            first_ms.append(time.perf_counter() - started)
            for step in (10, 20, 30):
                records = batch(step)
                started = time.perf_counter()
                view.add(records)
                add_ms.append(time.perf_counter() - started)
        assert scene_items(*widgets) == items
        assert [p.isVisible() for p in probes.hist_view.ci.items] == shown  # no layout to redo
    records = batch(40)
    started = time.perf_counter()
    probes.add(records)
    probes.curve_data("act_std", 0)  # the throttled draw, now
    draw_ms = 1000 * (time.perf_counter() - started)
    med = {name: 1000 * float(np.median(v)) for name, v in
           (("clear", clear_ms), ("first", first_ms), ("add", add_ms))}
    worst = 1000 * max(clear_ms + first_ms + add_ms)
    with capsys.disabled():
        print(f"\n{layers} layers, median ms per view: clear {med['clear']:.2f}, first records "
              f"{med['first']:.2f}, a batch {med['add']:.2f}; slowest call {worst:.1f}; "
              f"a full probe draw {draw_ms:.1f}")


def test_a_hidden_tab_draws_when_shown(qtbot):
    """Records for a view in a hidden tab cost no drawing; the view is current when shown, and
    what it reports is always the current run's."""
    rng = np.random.default_rng(8)
    metrics, probes = MetricsPlots(), ProbePlots()
    tabs = QTabWidget()
    tabs.addTab(metrics, "loss")
    tabs.addTab(probes, "activations")
    qtbot.addWidget(tabs)
    tabs.resize(*TAB)
    tabs.show()
    qtbot.waitExposed(tabs)
    tabs.setCurrentWidget(probes)
    metrics.add(epoch_records(0, 5))
    assert metrics._curves["train_loss"].getOriginalDataset()[0] is None  # not drawn while hidden
    assert len(metrics.curve_data("train_loss")[0]) == 5  # asked: drawn
    metrics.clear()
    metrics.add(epoch_records(0, 2))
    tabs.setCurrentWidget(metrics)
    assert metrics.acc_plot.getPlotItem().titleLabel.text.startswith("Accuracy: ")
    np.testing.assert_array_equal(metrics._curves["train_loss"].getOriginalDataset()[0], [0, 1])

    probes.add([probe_record(s, 3, rng) for s in (0, 50)])
    probes.clear()
    probes.add([probe_record(0, 3, rng)])
    assert probes.curve_data("act_std", 0)[0].tolist() == [0]
    tabs.setCurrentWidget(probes)
    assert "step 0" in probes.header.text()


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
    probes.add([{"type": "probe", "run": 1, "step": 0, "layers": []}])
    probes.flush()
    assert probes.histogram_plots == [] and "no hidden layers" in probes.legend_label.text()
    probes.add([])

    plots = MetricsPlots()
    qtbot.addWidget(plots)
    plots.add([])
    plots.add([{"type": "epoch", "run": 1, "epoch": 0, "step": 0, "train_loss": float("inf"),
                "val_loss": float("nan"), "train_acc": 0.1, "val_acc": 0.1, "lr": 0.1}])
    plots.set_log_scale(True)
    save_png(qtbot, plots, "metrics_one_diverged_point", TAB)

"""The optimizers' race over a loss surface, as a user drives it: pick a surface, press Play, click a
start, type an LR, untick an optimizer, close. The paths come from a child process (torch stays out
of the window's), so the tests wait for them with ``waitUntil``; the first waits for that process
to start. Screenshots go to /tmp/plots_surface_*.png."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QPointF, Qt
from PySide6.QtWidgets import QCheckBox, QComboBox

from playground.core.optimizers import OPTIMIZERS, Optimizer
from playground.core.registry import Entry
from playground.core.surfaces import SURFACES
from playground.ui.plots.surface import DEFAULT_OPTIMIZERS, SurfaceView
from tests.ui.plot_helpers import save_png, view_to_pixel
from tests.ui.window_helpers import open_window

FIRST_PLAY_MS = 30_000  # the child process may first have to start the fork server and import torch
SIZE = (900, 650)


@pytest.fixture
def view(qtbot):
    view = SurfaceView()
    qtbot.addWidget(view)
    view.resize(*SIZE)
    view.show()
    qtbot.waitExposed(view)
    return view


def points(view: SurfaceView, name: str) -> int:
    return len(view.path_data(name)[0])


def play_until(qtbot, view: SurfaceView, name: str, count: int) -> None:
    view.play()
    qtbot.waitUntil(lambda: points(view, name) >= count, timeout=FIRST_PLAY_MS)


def test_choosing_a_surface_draws_its_loss_light_at_the_minimum(view, qtbot):
    view.findChild(QComboBox, "surface_choice").setCurrentIndex(SURFACES.names().index("rosenbrock"))
    assert view.surface_name == "rosenbrock" and view.start == (-1.5, 2.0) and view.lr == 0.002
    assert view.image_item.image.shape == (200, 200)
    box = view.plot.getPlotItem().getViewBox()
    assert box.viewRange() == [[-2.0, 2.0], [-1.0, 3.0]]
    np.testing.assert_allclose(np.array(view.minimum_marker.getData()).T, [(1.0, 1.0)])
    image = view.grab().toImage()
    save_png(qtbot, view, "surface_rosenbrock", SIZE)
    at_minimum = view_to_pixel(view.plot, 1.0, 1.02, image)
    high_corner = view_to_pixel(view.plot, -1.9, -0.9, image)
    assert min(at_minimum) > 240  # white where the loss is lowest
    assert max(high_corner) < 215 and high_corner[2] > high_corner[0]  # slate where it is high
    assert "banana" in view.findChild(type(view.tip_label), "surface_tip").text()


def test_play_animates_every_shown_path_from_the_start(view, qtbot):
    assert view.shown_optimizers() == list(DEFAULT_OPTIMIZERS)
    view.set_surface("ravine")
    view.set_speed(30)
    assert all(points(view, name) == 1 for name in DEFAULT_OPTIMIZERS)  # only the start before Play
    play_until(qtbot, view, "sgd", 5)
    first = points(view, "sgd")
    qtbot.waitUntil(lambda: points(view, "sgd") >= first + 5, timeout=10_000)
    view.pause()
    qtbot.wait(200)  # the step already asked for arrives
    for name in DEFAULT_OPTIMIZERS:
        x, y = view.path_data(name)
        assert len(x) == view.steps + 1 > first
        assert (x[0], y[0]) == (-4.5, 1.0)
        assert view.trails[name].curve.isVisible()
    x, _ = view.path_data("sgd")
    np.testing.assert_allclose(x[1:] / x[:-1], 1 - 0.025)  # SGD along the floor: x shrinks by 1 - LR a step
    assert "step" in view.status_label.text()
    save_png(qtbot, view, "surface_ravine", SIZE)


def test_a_click_on_the_plot_moves_the_start(view, qtbot):
    view.set_surface("saddle")
    play_until(qtbot, view, "adam", 3)
    plot = view.plot
    scene_point = plot.getPlotItem().getViewBox().mapViewToScene(QPointF(-1.0, 0.5))
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=plot.mapFromScene(scene_point))
    assert view.start == pytest.approx((-1.0, 0.5), abs=0.02)  # within a pixel
    assert view.start_marker.getData()[0][0] == pytest.approx(-1.0, abs=0.02)
    qtbot.waitUntil(lambda: points(view, "adam") >= 3, timeout=10_000)  # still playing, from there
    x, y = view.path_data("adam")
    assert (x[0], y[0]) == pytest.approx(view.start)
    assert view.playing


def test_a_typed_lr_changes_the_running_paths_and_a_wild_one_is_refused(view, qtbot):
    view.set_surface("ravine")
    view.set_lr(0.01)
    view.set_speed(10)
    play_until(qtbot, view, "sgd", 4)
    field = view.lr_control.field
    field.selectAll()
    qtbot.keyClicks(field, "0.1")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert view.lr == 0.1
    changed_at = points(view, "sgd")
    qtbot.waitUntil(lambda: points(view, "sgd") >= changed_at + 4, timeout=10_000)
    view.pause()
    x, _ = view.path_data("sgd")
    ratios = x[1:] / x[:-1]
    assert ratios[0] == pytest.approx(0.99) and ratios[-1] == pytest.approx(0.9)  # not started over
    assert set(np.round(ratios, 12)) == {0.99, 0.9}

    field.selectAll()
    qtbot.keyClicks(field, "20")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert view.lr == 0.1 and field.text() == "0.1"
    assert view.status_label.text() == "LR not changed: lr: must be > 0 and at most 10, got 20.0"


def test_unticking_an_optimizer_removes_its_path_and_ticking_shows_it_so_far(view, qtbot):
    view.set_surface("local_minimum")
    play_until(qtbot, view, "sgd", 4)
    sgd = view.findChild(QCheckBox, "surface_sgd")
    qtbot.mouseClick(sgd, Qt.MouseButton.LeftButton, pos=sgd.rect().center() - sgd.rect().center() / 2)
    assert not sgd.isChecked()
    assert not view.trails["sgd"].curve.isVisible() and not view.trails["sgd"].head.isVisible()
    assert "sgd" not in view.shown_optimizers()
    lbfgs = view.findChild(QCheckBox, "surface_lbfgs")
    lbfgs.setChecked(True)
    qtbot.waitUntil(lambda: points(view, "lbfgs") >= 6, timeout=10_000)
    view.pause()
    qtbot.wait(200)
    assert view.trails["lbfgs"].curve.isVisible()
    assert points(view, "lbfgs") == points(view, "momentum") == view.steps + 1  # the same race
    x, _ = view.path_data("lbfgs")
    assert x[-1] == pytest.approx(-1.0, abs=1e-3)  # L-BFGS settles in the first dip too: no momentum


def test_a_newly_registered_optimizer_gets_a_box_and_a_colour(qtbot, monkeypatch):
    monkeypatch.setitem(OPTIMIZERS._entries, "asgd", Entry("asgd", Optimizer("ASGD", 0.01), "Averaged SGD", "Tip."))
    view = SurfaceView()
    qtbot.addWidget(view)
    box = view.findChild(QCheckBox, "surface_asgd")
    assert box.text() == "Averaged SGD" and not box.isChecked()
    assert view.trails["asgd"].color not in [view.trails[name].color for name in DEFAULT_OPTIMIZERS]


def test_closing_or_deleting_the_view_ends_its_process(qtbot):
    closed = SurfaceView()
    closed.show()
    play_until(qtbot, closed, "sgd", 2)
    assert closed._process.alive
    closed.close()
    assert not closed._process.alive and not closed.playing

    deleted = SurfaceView()
    deleted.show()
    play_until(qtbot, deleted, "sgd", 2)
    process = deleted._process
    deleted.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qtbot.waitUntil(lambda: not process.alive, timeout=5000)


def test_the_window_process_never_imports_torch():
    code = ("import sys; from PySide6.QtWidgets import QApplication; app = QApplication([]); "
            "from playground.ui.plots.surface import SurfaceView; v = SurfaceView(); v.set_surface('rosenbrock'); "
            "v.shutdown(); assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60,
                   env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})


def test_the_whole_view_fits_the_tab_of_a_1280x720_window(qtbot, settings):
    """No scrolling to find the legend: the plot, every optimizer's box and the tip lie inside the
    Surfaces tab of a 1280x720 window (in a scroll area the view took its preferred height, twice
    the tab's, and the legend and tip sat below the fold)."""
    window = open_window(qtbot, settings)
    window.show_tab("surfaces")
    qtbot.waitUntil(lambda: window.surfaces is not None and window.surfaces.isVisible())
    tab = window.plot_tabs.currentWidget()
    inside = tab.rect()
    for widget in [window.surfaces.plot, window.surfaces.tip_label, *window.surfaces.checks.values()]:
        corner = widget.mapTo(tab, widget.rect().bottomRight())
        assert widget.isVisible() and inside.contains(corner), (widget.objectName(), corner, inside)
    assert window.surfaces.plot.height() >= 120
    # and where the tab is smaller than the view's controls, it scrolls instead of widening the window
    assert window.plot_tabs.minimumSizeHint().width() < window.surfaces.minimumSizeHint().width()

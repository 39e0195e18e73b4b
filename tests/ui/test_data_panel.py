"""The data panel, driven through its widgets as a user would: what it shows, what it emits, and
the round trip the window does (with_changes, then set_experiment; the old one again when refused)."""

from __future__ import annotations

import html

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QListWidget, QSlider, QToolButton

from playground.core.choices import DATASETS, FEATURES, PREPROCESS
from playground.core.paths import resources_dir
from playground.core.presets import load_experiment
from playground.core.registry import Entry
from playground.core.spec import Experiment
from playground.ui.controls import NumberField
from playground.ui.data_panel import FEATURE_EXTENT, FEATURE_ICON_SIZE, DataPanel
from playground.ui.dataset_pictures import dataset_image
from playground.ui.network.coloring import feature_image
from tests.ui.panel_helpers import Window, clipped, find, in_dock, marks, shown, type_into, type_refused, shown_panel

CNN_ON_DIGITS = Experiment().with_changes({"data.name": "digits", "model.layers": [
    {"type": "conv", "channels": 4}, {"type": "flatten"}, {"type": "dense", "units": 8}]})


@pytest.fixture
def panel(qtbot):
    return shown_panel(qtbot, DataPanel)


def row_of(panel, dataset: str) -> int:
    lst = find(panel, "dataset_list", QListWidget)
    return next(i for i in range(lst.count()) if lst.item(i).data(Qt.ItemDataRole.UserRole) == dataset)


def click_dataset(qtbot, panel, dataset: str) -> None:
    lst = find(panel, "dataset_list", QListWidget)
    rect = lst.visualItemRect(lst.item(row_of(panel, dataset)))
    qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def field(panel, name: str) -> NumberField:
    return find(panel, name, NumberField)


def test_default_spec_is_shown_in_every_control(panel):
    lst = find(panel, "dataset_list", QListWidget)
    assert lst.currentItem().data(Qt.ItemDataRole.UserRole) == "circle"
    assert lst.count() == len(DATASETS.names())
    assert find(panel, "noise").value() == 0.0
    assert find(panel, "noise_slider", QSlider).value() == 0
    assert find(panel, "val_fraction").value() == 0.5
    assert find(panel, "val_fraction_label").text() == "train 50% / val 50%"
    for entry in FEATURES:
        button = find(panel, f"feature_{entry.name}", QToolButton)
        assert button.text() == entry.label
        assert button.isChecked() == (entry.name in ("x1", "x2"))
    assert field(panel, "batch_size").text() == "10" and field(panel, "batch_size").isEnabled()
    assert not find(panel, "full_batch", QCheckBox).isChecked()
    assert find(panel, "preprocess", QComboBox).currentData() == "none"
    samples = field(panel, "n_samples")
    assert samples.value() is None and samples.text() == "" and samples.placeholderText() == "default (500)"
    assert field(panel, "data_seed").text() == "0"
    assert field(panel, "aug_jitter").text() == "off"
    assert shown(panel, "features") and shown(panel, "aug_jitter")
    assert not shown(panel, "aug_shift") and not shown(panel, "aug_flip") and not shown(panel, "aug_noise")
    assert marks(panel) == {}


def test_every_control_teaches_with_a_tooltip(panel):
    assert "None" in find(panel, "preprocess").toolTip()
    names = ["dataset_list", "noise", "val_fraction", "batch_size", "full_batch", "preprocess", "n_samples",
             "data_seed", "aug_jitter", "aug_shift", "aug_flip", "aug_noise"]
    names += [f"feature_{e.name}" for e in FEATURES]
    for name in names:
        assert len(find(panel, name).toolTip()) > 40, name
    assert "zero-centre and normalise" in find(panel, "preprocess").toolTip()
    assert "whole training set" in find(panel, "full_batch").toolTip()
    lst = find(panel, "dataset_list", QListWidget)
    assert "XOR" in lst.item(row_of(panel, "xor")).toolTip()


def test_set_experiment_emits_nothing(panel, qtbot):
    specs = [Experiment(), Experiment().with_changes({"data.name": "digits", "train.batch_size": 0}),
             Experiment().with_changes({"data.noise": 0.3, "data.features": ["x1^2", "x2^2"], "data.n_samples": 300,
                                        "data.augment.jitter": 0.2, "data.preprocess": "standardize"})]
    with qtbot.assertNotEmitted(panel.edited):
        for exp in specs:
            panel.set_experiment(exp)


def _click(qtbot, panel, name):
    widget = find(panel, name)
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=widget.rect().center())


def _type(name, text):
    return lambda qt, p: type_into(qt, field(p, name), text)


ACTIONS = [
    ("dataset", None, lambda qt, p: click_dataset(qt, p, "xor"), {"data.name": "xor"}),
    ("noise", None, lambda qt, p: find(p, "noise_slider", QSlider).setValue(20), {"data.noise": 0.2}),
    ("split", None, lambda qt, p: find(p, "val_fraction_slider", QSlider).setValue(30), {"data.val_fraction": 0.3}),
    ("feature on", None, lambda qt, p: _click(qt, p, "feature_x1*x2"), {"data.features": ["x1", "x2", "x1*x2"]}),
    ("feature off", None, lambda qt, p: _click(qt, p, "feature_x1"), {"data.features": ["x2"]}),
    ("batch size", None, _type("batch_size", "32"), {"train.batch_size": 32}),
    ("full batch", None, lambda qt, p: _click(qt, p, "full_batch"), {"train.batch_size": 0}),
    ("preprocess", None, lambda qt, p: find(p, "preprocess", QComboBox).setCurrentIndex(2),
     {"data.preprocess": "standardize"}),
    ("jitter", None, _type("aug_jitter", "0.1"), {"data.augment.jitter": 0.1}),
    ("jitter off", {"data.augment.jitter": 0.2}, _type("aug_jitter", "0"), {"data.augment.jitter": 0}),
    ("samples", None, _type("n_samples", "200"), {"data.n_samples": 200}),
    ("samples default", {"data.n_samples": 300}, _type("n_samples", ""), {"data.n_samples": None}),
    ("seed", None, _type("data_seed", "3"), {"data.seed": 3}),
]


@pytest.mark.parametrize("label,start,act,expected", ACTIONS, ids=[a[0] for a in ACTIONS])
def test_each_change_emits_its_path_and_round_trips(panel, qtbot, label, start, act, expected):
    window = Window(panel, Experiment().with_changes(start or {}))
    act(qtbot, panel)
    assert window.emitted == [expected]
    exp = window.exp  # applied by with_changes and shown again by set_experiment
    for path, value in expected.items():
        section, *rest = path.split(".")
        node = getattr(exp, section)
        for part in rest:
            node = getattr(node, part)
        assert node == value
    assert marks(panel) == {}
    # showing the result emits nothing and keeps the widget where the user put it
    with qtbot.assertNotEmitted(panel.edited):
        panel.set_experiment(exp)
    if label == "noise":
        assert find(panel, "noise_label").text() == "0.20"
    if label == "split":
        assert find(panel, "val_fraction_label").text() == "train 70% / val 30%"
    if label.startswith("feature"):
        assert [n for n in FEATURES.names() if find(panel, f"feature_{n}").isChecked()] == sorted(
            expected["data.features"], key=FEATURES.names().index)
    if label == "full batch":
        assert find(panel, "full_batch").isChecked() and not find(panel, "batch_size").isEnabled()
    if label == "jitter off":
        assert field(panel, "aug_jitter").text() == "off"
    if label == "samples default":
        assert field(panel, "n_samples").text() == "" and field(panel, "n_samples").placeholderText() == "default (500)"


def test_full_batch_off_returns_to_the_last_batch_size(panel, qtbot):
    window = Window(panel, Experiment().with_changes({"train.batch_size": 25}))
    _click(qtbot, panel, "full_batch")
    assert window.exp.train.batch_size == 0
    assert field(panel, "batch_size").text() == "25"  # still shown, greyed out
    _click(qtbot, panel, "full_batch")
    assert window.emitted == [{"train.batch_size": 0}, {"train.batch_size": 25}]
    assert window.exp.train.batch_size == 25 and find(panel, "batch_size").isEnabled()


def test_feature_order_of_the_spec_is_kept(panel, qtbot):
    window = Window(panel, Experiment().with_changes({"data.features": ["x2", "x1"]}))
    _click(qtbot, panel, "feature_sin_x1")
    assert window.emitted == [{"data.features": ["x2", "x1", "sin_x1"]}]


def test_picking_digits_hides_features_and_shows_image_augmentation(panel, qtbot):
    window = Window(panel, Experiment())
    click_dataset(qtbot, panel, "digits")
    assert window.emitted == [{"data.name": "digits"}]
    assert window.exp.data.name == "digits"
    assert not shown(panel, "features") and not shown(panel, "features_box")
    assert not shown(panel, "aug_jitter")
    assert shown(panel, "aug_shift") and shown(panel, "aug_flip") and shown(panel, "aug_noise")
    assert not find(panel, "noise").isEnabled()
    assert field(panel, "n_samples").placeholderText() == "default (1797)"

    _click(qtbot, panel, "aug_flip")
    type_into(qtbot, field(panel, "aug_shift"), "2")
    type_into(qtbot, field(panel, "aug_noise"), "0.3")
    assert window.emitted[1:] == [{"data.augment.flip": True}, {"data.augment.shift": 2},
                                  {"data.augment.noise": 0.3}]
    aug = window.exp.data.augment
    assert (aug.flip, aug.shift, aug.noise) == (True, 2, 0.3)
    assert field(panel, "aug_shift").text() == "2 px"

    click_dataset(qtbot, panel, "spiral")
    assert shown(panel, "features") and shown(panel, "aug_jitter") and not shown(panel, "aug_flip")


def test_lbfgs_locks_the_batch_to_the_full_set(panel):
    panel.set_experiment(Experiment().with_changes({"optim.name": "lbfgs"}))
    assert not find(panel, "batch_size").isEnabled() and not find(panel, "full_batch").isEnabled()
    assert "full batch" in find(panel, "batch_size").toolTip()


def test_choices_come_from_the_registries_as_they_are_when_the_panel_is_built(qtbot, monkeypatch):
    monkeypatch.setitem(DATASETS._entries, "rings", Entry("rings", DATASETS["circle"], "Rings", "Two rings."))
    monkeypatch.setitem(PREPROCESS._entries, "scale", Entry("scale", "x / 10", "Scale", "Divide by ten."))
    panel = DataPanel()
    qtbot.addWidget(panel)
    window = Window(panel, Experiment())
    assert find(panel, "dataset_list", QListWidget).item(row_of(panel, "rings")).text() == "Rings"
    combo = find(panel, "preprocess", QComboBox)
    assert combo.itemText(combo.findData("scale")) == "Scale: x / 10"
    combo.setCurrentIndex(combo.findData("scale"))
    find(panel, "dataset_list", QListWidget).setCurrentRow(row_of(panel, "rings"))
    assert window.emitted == [{"data.preprocess": "scale"}, {"data.name": "rings"}]
    assert (window.exp.data.name, window.exp.data.preprocess) == ("rings", "scale")


# -- refused input: marked where it was typed, the old value shown again (defects 9, 16, 10) ---------


def test_text_that_is_not_a_number_is_refused_at_the_field(panel, qtbot):
    """Defect 9: "xyz-3" became 3; now the field says why and keeps the value it had."""
    window = Window(panel, Experiment())
    type_into(qtbot, field(panel, "n_samples"), "xyz-3")
    assert window.emitted == [] and window.exp.data.n_samples is None
    assert field(panel, "n_samples").text() == "" and field(panel, "n_samples").placeholderText() == "default (500)"
    assert marks(panel) == {"n_samples": "'xyz-3' is not a number"}
    type_into(qtbot, field(panel, "data_seed"), "1.5")
    assert window.emitted == [] and field(panel, "data_seed").text() == "0"
    assert marks(panel) == {"data_seed": "'1.5' is not a whole number"}
    type_into(qtbot, field(panel, "batch_size"), "ten")
    assert window.emitted == [] and field(panel, "batch_size").text() == "10"
    assert marks(panel) == {"batch_size": "'ten' is not a number"}
    type_into(qtbot, field(panel, "n_samples"), "300")  # a good value clears the mark
    assert window.exp.data.n_samples == 300 and marks(panel) == {}


@pytest.mark.parametrize("name,text,path,problem", [
    ("n_samples", "3", "data.n_samples", "must be >= 4, got 3"),
    ("n_samples", "-3", "data.n_samples", "must be >= 4, got -3"),
    ("n_samples", "200000", "data.n_samples", "200000"),
    ("batch_size", "-1", "train.batch_size", "must be >= 0, got -1"),
    ("aug_jitter", "-0.5", "data.augment.jitter", "must be >= 0"),
])
def test_a_number_outside_the_spec_is_proposed_refused_and_marked(panel, qtbot, name, text, path, problem):
    """Defect 9: the spec's limits decide; the window shows the old value again and marks the field."""
    window = Window(panel, Experiment())
    shown_marks = type_refused(qtbot, window, field(panel, name), text, path)
    assert set(shown_marks) == {name} and problem in shown_marks[name]
    assert html.escape(problem) in field(panel, name).toolTip()


def test_escape_throws_away_a_half_typed_value(panel, qtbot):
    window = Window(panel, Experiment().with_changes({"data.n_samples": 300}))
    type_into(qtbot, field(panel, "n_samples"), "12", key=Qt.Key.Key_Escape)
    assert field(panel, "n_samples").text() == "300"
    field(panel, "data_seed").setFocus()  # leaving the field proposes nothing either
    assert window.emitted == [] and marks(panel) == {}


def test_a_refused_last_feature_shows_on_again(panel, qtbot):
    """Defect 16: the toggle of the last feature must not stay off when the spec refuses."""
    window = Window(panel, Experiment().with_changes({"data.features": ["x1"]}))
    _click(qtbot, panel, "feature_x1")
    assert window.emitted == [{"data.features": []}]
    assert window.exp.data.features == ["x1"]
    assert find(panel, "feature_x1").isChecked()
    assert marks(panel) == {"features": "choose at least one input feature"}
    find(panel, "noise_slider", QSlider).setValue(10)  # the next change clears the mark
    assert marks(panel) == {}


def test_a_refused_dataset_is_not_left_highlighted(panel, qtbot):
    """Defect 16: a CNN cannot take 2D points; the digits tile stays the chosen one."""
    window = Window(panel, CNN_ON_DIGITS)
    click_dataset(qtbot, panel, "circle")
    assert window.emitted == [{"data.name": "circle"}] and window.exp.data.name == "digits"
    lst = find(panel, "dataset_list", QListWidget)
    assert lst.currentRow() == row_of(panel, "digits")
    assert [item.data(Qt.ItemDataRole.UserRole) for item in lst.selectedItems()] == ["digits"]
    assert "model.layers[0].type" in marks(panel)["panel"]
    click_dataset(qtbot, panel, "circle")  # and a second try is proposed again
    assert len(window.emitted) == 2
    lst.setFocus()  # the keyboard too: the next tile is proposed, refused, and digits stays chosen
    qtbot.keyClick(lst, Qt.Key.Key_Left)
    assert window.emitted[-1] == {"data.name": DATASETS.names()[row_of(panel, "digits") - 1]}
    assert [item.data(Qt.ItemDataRole.UserRole) for item in lst.selectedItems()] == ["digits"]


def test_no_mark_survives_another_experiment(panel, qtbot):
    """Defect 10: after set_experiment of another experiment and show_error(None) nothing is marked."""
    window = Window(panel, Experiment())
    type_into(qtbot, field(panel, "n_samples"), "3")
    assert "must be >= 4, got 3" in marks(panel)["n_samples"]
    panel.set_experiment(Experiment().with_changes({"data.name": "xor"}))
    panel.show_error(None)
    assert marks(panel) == {} and field(panel, "n_samples").placeholderText() == "default (500)"

    batch_norm = Experiment().with_changes({"model.norm": "batchnorm"})
    window = Window(panel, batch_norm)
    tip = find(panel, "batch_size").toolTip()
    type_into(qtbot, field(panel, "batch_size"), "1")
    assert marks(panel) == {"batch_size": "batch norm needs at least 2 examples per batch"}
    panel.set_experiment(Experiment())  # a preset without batch norm
    panel.show_error(None)
    assert marks(panel) == {} and find(panel, "batch_size").toolTip() == tip
    assert window.exp.train.batch_size == 10


def test_a_cleared_mark_keeps_the_tooltip_of_the_experiment_shown_since(panel):
    panel.show_error("train.batch_size", "batch norm needs at least 2 examples per batch")
    panel.set_experiment(Experiment().with_changes({"optim.name": "lbfgs"}))
    panel.show_error(None)
    assert "always steps on the full batch" in find(panel, "batch_size").toolTip()


def test_show_error_marks_the_control_and_clears(panel):
    noise = find(panel, "noise")
    original = noise.toolTip()
    panel.show_error("data.noise", "must be <= 0.5, got 0.7")
    assert marks(panel) == {"noise": "must be <= 0.5, got 0.7"}
    assert noise.property("error") is True
    assert "must be &lt;= 0.5, got 0.7" in noise.toolTip() and original[4:-5] in noise.toolTip()
    panel.show_error(None)
    assert marks(panel) == {} and noise.toolTip() == original


def test_errors_without_a_visible_widget_go_to_the_panel_label(panel):
    panel.show_error("model.layers[0].units", "must be >= 1, got 0")
    assert marks(panel) == {"panel": "model.layers[0].units: must be >= 1, got 0"}
    panel.show_error("data.augment.shift", "must be <= 3, got 5")  # hidden for 2D data
    assert marks(panel) == {"aug_shift": "", "panel": "data.augment.shift: must be <= 3, got 5"}
    panel.show_error(None)
    assert marks(panel) == {}


def test_dataset_pictures_are_drawn_once_and_show_the_classes(qapp):
    for entry in DATASETS:
        image = dataset_image(entry.name)
        assert image.width() == image.height() == 48 and not image.isNull()
        assert dataset_image(entry.name) is image  # cached
    circle = dataset_image("circle")
    colours = {circle.pixelColor(x, y).name() for x in range(48) for y in range(48)}
    assert any(c.startswith("#f5") or c.startswith("#f4") for c in colours)  # orange class 0
    assert any(c.startswith("#08") or c.startswith("#09") for c in colours)  # blue class 1
    digits = dataset_image("digits")
    assert min(digits.pixelColor(x, y).lightness() for x in range(48) for y in range(48)) < 60  # dark ink
    for name in FEATURES.names():
        assert not feature_image(name, FEATURE_EXTENT, FEATURE_ICON_SIZE).isNull()


def test_everything_fits_a_narrow_dock(qtbot):
    """Defect 4: at 1280x720 the dock is about 310 px wide: nothing is cut off at the side."""
    panel = DataPanel()
    holder = in_dock(qtbot, panel)
    shots = [(Experiment(), "/tmp/panel_data.png"),
             (Experiment().with_changes({"data.name": "digits", "data.preprocess": "standardize",
                                         "data.augment.shift": 1}), "/tmp/panel_data_digits.png"),
             (Experiment().with_changes({"optim.name": "lbfgs", "data.n_samples": 100000}),
              "/tmp/panel_data_lbfgs.png")]
    for exp, path in shots:
        panel.set_experiment(exp)
        qtbot.wait(20)
        assert holder.horizontalScrollBar().maximum() == 0
        assert holder.verticalScrollBar().maximum() == 0  # and everything fits in 700 px
        assert clipped(panel) == [], path
        assert holder.grab().save(path)
    panel.set_experiment(Experiment())
    panel.show_error("data.val_fraction", "leaves 1 training examples after the validation split; need 2")
    qtbot.wait(20)
    assert clipped(panel) == []
    holder.grab().save("/tmp/panel_data_error.png")


# -- image data: classes, examples per class, a folder of one's own -----------------------------------

GLYPHS = Experiment().with_changes({"data.name": "glyphs", "data.n_samples": 4000})


def make_folder(root) -> None:
    """Two classes of tiny PNGs, a broken "PNG" (counted by its name: scanning decodes nothing), a
    text file in a class folder and one beside the classes."""
    from PySide6.QtGui import QColor, QImage

    for name, count in (("cat", 3), ("dog", 2)):
        (root / name).mkdir(parents=True)
        for i in range(count):
            image = QImage(12, 10, QImage.Format.Format_RGB32)
            image.fill(QColor("#f59322" if name == "cat" else "#0877bd"))
            assert image.save(str(root / name / f"{name}_{i}.png"))
    (root / "dog" / "broken.png").write_bytes(b"not a picture")
    (root / "cat" / "notes.txt").write_text("no picture")
    (root / "README.txt").write_text("read me")


@pytest.mark.parametrize("typed,expected", [
    ("30-39", list(range(30, 40))), ("0,1,7", [0, 1, 7]), ("0, 1 ,7", [0, 1, 7]), ("7 1 0", [7, 1, 0]),
    ("0-4, 9", [0, 1, 2, 3, 4, 9]), ("30 - 32", [30, 31, 32]), ("", None), ("  ", None),
])
def test_classes_text_is_parsed(typed, expected):
    from playground.ui.image_fields import parse_classes

    assert parse_classes(typed) == expected


@pytest.mark.parametrize("typed,reason", [
    ("abc", "'abc' is not a class number or a range: write e.g. 30-39 or 0,1,7"),
    ("39-30", "'39-30' counts down: write 30-39"),
    ("1,-2", "'-2' is not a class number or a range"),
    ("2.5", "'2.5' is not a class number"),
    ("0-5000", "spans more than 1000 classes"),
])
def test_bad_classes_text_says_why(typed, reason):
    from playground.ui.image_fields import parse_classes

    assert reason in parse_classes(typed)


def test_classes_are_shown_short():
    from playground.ui.image_fields import classes_text

    assert classes_text(list(range(30, 40))) == "30-39"
    assert classes_text([0, 1, 7]) == "0, 1, 7"
    assert classes_text([0, 1, 2, 3, 9, 5, 6, 7]) == "0-3, 9, 5-7"
    assert classes_text([3, 2, 1]) == "3, 2, 1"  # the order is the relabelling: kept
    assert classes_text(None) == ""


def test_classes_and_examples_per_class_are_shown_for_image_classes(panel, qtbot):
    assert not shown(panel, "classes") and not shown(panel, "per_class")  # 2D points
    window = Window(panel, GLYPHS)
    assert shown(panel, "classes") and shown(panel, "per_class") and not shown(panel, "folder_button")
    assert find(panel, "classes").placeholderText() == "all (0-39)"
    classes = find(panel, "classes")
    type_into(qtbot, classes, "30-39")
    assert window.emitted == [{"data.classes": list(range(30, 40))}]
    assert window.exp.data.classes == list(range(30, 40)) and classes.text() == "30-39"
    type_into(qtbot, classes, "0,1,7")
    assert window.emitted[-1] == {"data.classes": [0, 1, 7]} and classes.text() == "0, 1, 7"
    type_into(qtbot, field(panel, "per_class"), "5")
    assert window.emitted[-1] == {"data.per_class": 5} and window.exp.data.per_class == 5
    assert field(panel, "per_class").text() == "5 each"
    assert not find(panel, "val_fraction").isEnabled()  # few-shot: the split is not used
    assert "Not used" in find(panel, "val_fraction").toolTip()
    type_into(qtbot, field(panel, "per_class"), "")
    assert window.emitted[-1] == {"data.per_class": None} and find(panel, "val_fraction").isEnabled()
    type_into(qtbot, classes, "")
    assert window.emitted[-1] == {"data.classes": None} and window.exp.data.classes is None
    assert marks(panel) == {}


def test_bad_classes_text_is_refused_with_the_reason(panel, qtbot):
    window = Window(panel, GLYPHS.with_changes({"data.classes": [30, 31]}))
    classes = find(panel, "classes")
    type_into(qtbot, classes, "thirty")
    assert window.emitted == [] and classes.text() == "30, 31"
    assert marks(panel) == {"classes": "'thirty' is not a class number or a range: write e.g. 30-39 or 0,1,7"}
    type_into(qtbot, classes, "38-41")  # a class that does not exist: the spec says so
    assert window.emitted == [{"data.classes": [38, 39, 40, 41]}] and window.exp.data.classes == [30, 31]
    assert marks(panel) == {"classes": "there are 40 classes (0 to 39), got 40"}
    assert classes.text() == "30, 31"
    type_into(qtbot, classes, "5")
    assert marks(panel) == {"classes": "choose at least 2 classes, got 1"}


def test_another_dataset_drops_the_class_subset(panel, qtbot):
    window = Window(panel, GLYPHS.with_changes({"data.classes": [30, 31, 32]}))
    click_dataset(qtbot, panel, "digits")
    # digits are a file of 1,797: the 4,000 asked of the glyphs go back to all of them
    assert window.emitted == [{"data.name": "digits", "data.classes": None, "data.n_samples": None}]
    assert window.exp.data.name == "digits" and find(panel, "classes").placeholderText() == "all (0-9)"


def test_a_folder_shows_what_it_holds(panel, qtbot, tmp_path):
    make_folder(tmp_path / "pets")
    window = Window(panel, Experiment())
    panel.choose_folder(str(tmp_path / "pets"))
    assert window.emitted == [{"data.name": "folder", "data.path": str(tmp_path / "pets")}]
    assert (window.exp.data.name, window.exp.data.path) == ("folder", str(tmp_path / "pets"))
    summary = find(panel, "folder_summary")
    assert summary.text().splitlines()[0] == (
        "2 classes: cat 3, dog 3 · skipped 2 (README.txt: not in a class folder, …)")
    assert "Pictures become 32×32 colour" in summary.text()
    assert "cat/notes.txt: not an image" in summary.toolTip() and "README.txt" in summary.toolTip()
    assert "0: cat (3 images)" in summary.toolTip()
    assert find(panel, "folder_path").full_text() == str(tmp_path / "pets")
    assert shown(panel, "folder_button") and shown(panel, "image_size") and not shown(panel, "n_samples")
    assert find(panel, "classes").placeholderText() == "all (2)" and "0 cat, 1 dog" in find(panel, "classes").toolTip()

    type_into(qtbot, field(panel, "image_size"), "48")
    assert window.emitted[-1] == {"data.image_size": 48} and window.exp.data.image_size == 48
    assert "Pictures become 48×48 colour" in summary.text() and field(panel, "image_size").text() == "48 px"
    type_into(qtbot, field(panel, "image_size"), "4")
    assert window.exp.data.image_size == 48 and "must be >= 8" in marks(panel)["image_size"]


def test_the_folder_button_asks_for_a_folder(panel, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    make_folder(tmp_path / "pets")
    window = Window(panel, Experiment().with_changes({"data.name": "folder", "data.path": "{resources}/sample_folder"}))
    assert find(panel, "folder_path").full_text() == "sample_folder"
    assert find(panel, "folder_summary").text().startswith(
        "3 classes: one 24, seven 24, zero 24 · skipped 1 (README.txt: not in a class folder)")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: "")
    _click(qtbot, panel, "folder_button")  # cancelled
    assert window.emitted == []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path / "pets"))
    _click(qtbot, panel, "folder_button")
    assert window.emitted == [{"data.name": "folder", "data.path": str(tmp_path / "pets")}]
    assert find(panel, "folder_summary").text().startswith("2 classes: cat 3, dog 3")
    panel.choose_folder(str(resources_dir() / "sample_folder"))  # the shipped one: named portably
    assert window.emitted[-1]["data.path"] == "{resources}/sample_folder"


def test_a_folder_that_cannot_be_used_is_refused_and_marked(panel, tmp_path):
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "a.png").write_bytes(b"x")
    window = Window(panel, Experiment())
    panel.choose_folder(str(tmp_path / "flat"))
    assert window.exp.data.name == "circle"
    assert "has no subfolders" in marks(panel)["panel"]  # the folder row is not shown for circle
    window = Window(panel, Experiment().with_changes({"data.name": "folder", "data.path": "{resources}/sample_folder"}))
    panel.choose_folder(str(tmp_path / "flat"))
    assert "has no subfolders" in marks(panel)["folder"]
    assert window.exp.data.path == "{resources}/sample_folder"


def test_the_folder_tile_brings_a_folder(panel, qtbot, tmp_path):
    window = Window(panel, GLYPHS.with_changes({"data.classes": [30, 31]}))
    click_dataset(qtbot, panel, "folder")
    assert window.emitted == [{"data.name": "folder", "data.classes": None, "data.path": "{resources}/sample_folder"}]
    assert window.exp.data.name == "folder" and marks(panel) == {}
    make_folder(tmp_path / "pets")
    panel.choose_folder(str(tmp_path / "pets"))
    click_dataset(qtbot, panel, "digits")
    click_dataset(qtbot, panel, "folder")  # the path stayed in the experiment
    assert window.emitted[-1] == {"data.name": "folder"} and window.exp.data.path == str(tmp_path / "pets")
    window = Window(panel, Experiment())  # another experiment, without a path: the folder chosen last
    click_dataset(qtbot, panel, "folder")
    assert window.emitted == [{"data.name": "folder", "data.path": str(tmp_path / "pets")}]


def test_with_a_backbone_the_backbone_sizes_the_pictures(panel):
    panel.set_experiment(load_experiment("transfer_folder"))
    assert not shown(panel, "image_size")
    assert "Pictures become 16×16 grey for the backbone glyphs_cnn." in find(panel, "folder_summary").text()
    panel.set_experiment(load_experiment("transfer_mobilenet_folder"))
    assert "224×224 colour for the backbone mobilenet_v3_small" in find(panel, "folder_summary").text()


@pytest.mark.parametrize("path,widget", [("data.classes[1]", "classes"), ("data.per_class", "per_class"),
                                         ("data.path", "folder"), ("data.image_size", "image_size")])
def test_show_error_marks_the_image_controls(panel, path, widget):
    panel.set_experiment(Experiment().with_changes({"data.name": "folder", "data.path": "{resources}/sample_folder"}))
    panel.show_error(path, "not like this")
    assert marks(panel) == {widget: "not like this"}
    assert "not like this" in find(panel, widget).toolTip()
    panel.show_error(None)
    assert marks(panel) == {}


def test_the_new_datasets_have_their_own_pictures(qapp, tmp_path):
    from playground.ui.dataset_pictures import folder_image

    glyphs, folder, digits = (dataset_image(n) for n in ("glyphs", "folder", "digits"))
    assert glyphs != digits and folder != digits
    assert min(glyphs.pixelColor(x, y).lightness() for x in range(48) for y in range(48)) < 60  # dark ink
    assert {folder.pixelColor(24, 36).name()} != {"#ffffff"}  # the folder's yellow
    make_folder(tmp_path / "pets")
    pictures = folder_image(str(tmp_path / "pets"))
    cells = {pictures.pixelColor(x, y).name() for x, y in ((12, 12), (36, 12), (12, 36), (36, 36))}
    assert cells == {"#f59322", "#0877bd"}  # cats and dogs; the broken file is passed over
    assert folder_image(None) == folder and folder_image(str(tmp_path / "missing")) == folder


def test_transfer_presets_fit_a_narrow_dock(qtbot):
    panel = DataPanel()
    holder = in_dock(qtbot, panel)
    for name in ("transfer_fine_tune_top", "transfer_folder"):
        panel.set_experiment(load_experiment(name))
        qtbot.wait(20)
        assert holder.horizontalScrollBar().maximum() == 0, name
        assert clipped(panel) == [], name
        assert holder.grab().save(f"/tmp/panel_data_{name}.png")

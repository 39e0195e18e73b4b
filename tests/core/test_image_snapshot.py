"""What the image views are sent: the misclassified validation images first, pictures to show,
class names and each class's accuracy, consistent with the confusion matrix."""

from __future__ import annotations

import numpy as np

from playground.core.snapshot import snapshot
from playground.core.spec import Experiment
from playground.core.trainer import Trainer


def test_the_snapshot_puts_the_misclassified_first_and_names_the_classes():
    exp = Experiment.from_dict({"data": {"name": "glyphs", "n_samples": 2000, "classes": [30, 31, 32]},
                                "model": {"layers": []}, "train": {"epochs": 1, "probe_every": 0}})
    trainer = Trainer(exp)
    trainer.run()
    snap = snapshot(trainer, samples=20)
    wrong = snap["labels"] != snap["predicted"]
    assert snap["wrong"] == int((snap["confusion"].sum() - np.trace(snap["confusion"])))
    assert 0 < snap["wrong"] < snap["total"]
    first = min(snap["wrong"], 20)
    assert wrong[:first].all() and not wrong[first:].any()
    assert snap["class_names"] == ["30", "31", "32"]
    diagonal = np.diag(snap["confusion"]) / snap["confusion"].sum(axis=1)
    np.testing.assert_allclose(snap["class_accuracy"], diagonal)
    assert snap["images"].dtype == np.uint8 and snap["images"].shape == (20, 16, 16) and snap["ink"]


def test_digits_keep_their_ink_scale():
    trainer = Trainer(Experiment.from_dict({"data": {"name": "digits"}, "train": {"epochs": 1}}))
    snap = snapshot(trainer)
    assert snap["images"].max() == 255  # full ink: 16 on the digits' 0..16 scale

"""Lecture decks: the shipped deck walked step by step, each phenomenon checked in numbers; the
measures on hand-made records; the deck format's errors, each one line naming the file, the step
and the field; a user's own deck; and the ``playground lecture`` commands."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import types

import pytest

from playground.core.lecture import (DEFAULT_DECK, MAX_DECK_BYTES, DeckError, check_deck, deck_names, decks_dir,
                                     load_deck)
from playground.core.phenomena import MEASURES, measure_value
from playground.core.presets import load_experiment

DECK = load_deck(DEFAULT_DECK)
IDS = [step.id for step in DECK.steps]

# The lecture's topics, in its order (/work/shared/lecture-notes.txt): the deck has a step for each.
LECTURE = [
    "relu",
    "init_too_small", "init_too_large", "init_xavier", "init_kaiming",
    "inputs_raw", "inputs_standardized",
    "batchnorm_off", "batchnorm_on",
    "overfitting", "dropout",
    "lr_too_low", "lr_good", "lr_too_high", "lr_trio",
    "sgd_minibatch", "gd_full_batch",
    "momentum", "nesterov", "adagrad", "rmsprop", "adam", "optimizer_race",
    "decay_step", "decay_exponential", "decay_inverse_time",
    "lbfgs",
    "l1", "l2",
    "augmentation",
    "transfer_scratch", "transfer_linear_probe",
]
HISTOGRAM_STEPS = {"init_too_small", "init_too_large", "init_xavier", "init_kaiming"}
CARD_LINE = 100  # characters: a card's line stays short on a projector


@pytest.fixture(scope="module")
def walk() -> dict:
    """The shipped deck checked once for the whole module: each step trained once."""
    return {result.step.id: result for result in check_deck(DECK)}


# -- the shipped deck ---------------------------------------------------------------------------


@pytest.mark.parametrize("step_id", IDS)
def test_shipped_step_shows_its_phenomenon_in_numbers(walk, step_id):
    result = walk[step_id]
    shown = "; ".join(f.text() for f in result.figures)
    assert result.figures and all(f.ok for f in result.figures), shown
    assert result.ok and all(math.isfinite(f.value) and math.isfinite(f.bound) for f in result.figures), shown


def test_the_deck_covers_the_lecture_in_its_order():
    assert deck_names() == [DEFAULT_DECK]
    missing = [topic for topic in LECTURE if topic not in IDS]
    assert not missing, f"no step for {missing}"
    assert [i for i in IDS if i in LECTURE] == LECTURE


@pytest.mark.parametrize("step", DECK.steps, ids=IDS)
def test_shipped_step_has_a_card_and_an_expectation(step):
    assert step.expect, "every step shows its phenomenon in numbers"
    assert 1 <= len(step.text) <= 3 and all(0 < len(line) <= CARD_LINE for line in step.text)
    assert step.watch.startswith("What to watch: ") and len(step.watch) <= CARD_LINE
    assert step.experiment.title == step.title
    assert step.tab == ("activations" if step.id in HISTOGRAM_STEPS else "runs" if step.runs else "loss")
    assert step.autoplay


def test_comparisons_point_at_the_steps_they_should():
    """The phenomena that are differences compare with their baseline step."""
    def against(step_id, measure):
        return {s for e in DECK.step(step_id).expect if e.measure == measure for s in (e.below_step, e.above_step) if s}

    assert against("dropout", "gap") == against("l2", "gap") == against("augmentation", "gap") == {"overfitting"}
    for optimizer in ("momentum", "nesterov", "adagrad", "rmsprop", "adam"):
        assert against(optimizer, "train_loss") == {"sgd_minibatch"}, optimizer
    assert against("lr_too_low", "loss_drop") == {"lr_good"}
    assert against("transfer_linear_probe", "val_acc") == {"transfer_scratch"}


def test_the_lr_trio_and_the_optimizer_race_are_runs_side_by_side():
    """The three LR steps and the five optimizer steps again, overlaid: one step each whose runs
    are the earlier steps' experiments."""
    trio = DECK.step("lr_trio")
    assert trio.compared == "optim.lr" and [name for name, _ in trio.runs] == ["lr=0.0001", "lr=0.1", "lr=3"]
    assert dict(trio.runs)["lr=0.0001"].optim == DECK.step("lr_too_low").experiment.optim
    assert dict(trio.runs)["lr=0.1"].optim == DECK.step("lr_good").experiment.optim
    race = DECK.step("optimizer_race")
    assert [exp.optim.name for _, exp in race.runs] == ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
    assert all(exp.model == DECK.step("sgd_minibatch").experiment.model for _, exp in race.runs)
    beaten = {e.run for e in race.expect if e.below_run == "sgd"}
    assert beaten == {"momentum", "rmsprop", "adam"}


def test_a_step_applies_its_set_to_its_preset():
    step = DECK.step("augmentation")
    expected = load_experiment("overfit_no_dropout").with_changes({"data.augment.jitter": 0.5, "train.epochs": 100})
    expected.title = step.title
    assert step.experiment == expected


def test_the_shipped_deck_loads_without_torch():
    """The window's process opens decks; torch is imported only where a check trains."""
    code = ("import sys; from playground.core.lecture import load_deck; load_deck('training_neural_networks'); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'torch'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# -- the measures -------------------------------------------------------------------------------


def _epoch(epoch, train_loss, val_loss, train_acc, val_acc, lr):
    return {"type": "epoch", "epoch": epoch, "train_loss": train_loss, "val_loss": val_loss,
            "train_acc": train_acc, "val_acc": val_acc, "lr": lr}


RECORDS = [
    _epoch(0, 2.0, 2.2, 0.1, 0.1, 0.3),
    {"type": "probe", "step": 0, "layers": [
        {"name": "dense0", "act_std": 0.5, "frac_saturated": 0.9},
        {"name": "dense1", "act_std": 0.2, "frac_saturated": 0.7},
        {"name": "dense2", "act_std": 0.05, "frac_saturated": 0.5},
    ]},
    _epoch(1, 1.0, 0.8, 0.6, 0.5, 0.3),
    _epoch(2, 0.6, 1.1, 0.8, 0.6, 0.15),
    {"type": "probe", "step": 20, "layers": [{"name": "dense0", "act_std": 9.0, "frac_saturated": 0.0}]},
    _epoch(3, 0.5, 1.3, 0.9, 0.7, 0.075),
    {"type": "advice", "rule": "overfitting", "text": "", "fix": {}, "step": 30, "epoch": 3},
    {"type": "end", "reason": "completed", "message": ""},
]


MEASURED = [
    ("train_loss", 0.5), ("val_loss", 1.3), ("train_acc", 0.9), ("val_acc", 0.7),
    ("gap", 1.3 - 0.5),
    ("val_loss_rise", 1.3 - 0.8),
    ("loss_drop", (2.0 - 0.5) / 2.0),
    ("lr_ratio", 0.25),
    ("loss_wobble", 0.6 - 0.5),  # the second half of the epochs: 0.6 then 0.5
    ("act_std_ratio", 0.1),  # step 0 only
    ("saturated", 0.7),
    ("diverged", 0.0),
]


@pytest.mark.parametrize("name, value", MEASURED)
def test_measure_on_hand_made_records(name, value):
    assert measure_value(name, RECORDS) == pytest.approx(value)


def test_every_measure_is_tested_and_explained():
    tested = {name for name, _ in MEASURED} | {"advice"}  # advice: the next test
    assert tested == set(MEASURES.names())
    assert all(entry.label != entry.name and len(entry.tip) > 30 for entry in MEASURES)


def test_advice_diverged_and_missing_figures():
    assert measure_value("advice", RECORDS, "overfitting") == 1.0
    assert measure_value("advice", RECORDS, "diverging") == 0.0
    diverged = RECORDS[:1] + [{"type": "end", "reason": "diverged", "message": ""}]
    assert measure_value("diverged", diverged) == 1.0
    no_validation = [_epoch(0, 2.0, None, 0.1, None, 0.1), _epoch(1, 1.0, None, 0.5, None, 0.1)]
    assert math.isnan(measure_value("val_acc", no_validation)) and math.isnan(measure_value("gap", no_validation))
    assert math.isnan(measure_value("act_std_ratio", no_validation))  # no probe: no figure, no pass


# -- deck files ---------------------------------------------------------------------------------


def _step(step_id, **fields):
    """A valid step (on the preset xor_features unless given an experiment) with ``fields`` changed."""
    source = {} if "experiment" in fields else {"preset": "xor_features"}
    return {"id": step_id, "title": step_id.replace("_", " ").capitalize(), "text": "One line.",
            "watch": "What to watch: the loss.", **source, **fields}


def _write(tmp_path, deck, name="my_deck.json"):
    path = tmp_path / name
    path.write_text(deck if isinstance(deck, str) else json.dumps(deck), encoding="utf-8")
    return path


def _deck(*steps, **fields):
    return {"deck": 1, "title": "Mine", "steps": list(steps), **fields}


def _error(tmp_path, deck) -> str:
    with pytest.raises(DeckError) as caught:
        load_deck(_write(tmp_path, deck))
    message = str(caught.value)
    assert "\n" not in message and message.startswith("my_deck.json: "), message
    return message


@pytest.mark.parametrize("deck, expected", [
    (_deck(_step("a", autoplai=False)),
     'my_deck.json: step 1 ("a"): autoplai: unknown key; known keys are id, title'),
    (_deck(_step("a"), _step("b"), _step("lr_high", set={"optim.lr": -1})),
     'my_deck.json: step 3 ("lr_high"): set.optim.lr: must be > 0.0, got -1.0'),
    (_deck(_step("a"), _step("b", preset="foo")),
     'my_deck.json: step 2 ("b"): preset: no preset or file named \'foo\''),
    (_deck(_step("a"), _step("a")),
     'my_deck.json: step 2 ("a"): id: \'a\' is also the id of step 1'),
    (_deck(_step("a", tab="histograms")),
     'my_deck.json: step 1 ("a"): tab: must be one of \'loss\', \'activations\', \'surfaces\', \'runs\', got'),
    (_deck(_step("a", tab="runs")),
     'my_deck.json: step 1 ("a"): tab: "runs" shows compared runs: give the step a "compare"'),
    (_deck(_step("a", compare="optim.lr")),
     'my_deck.json: step 1 ("a"): compare: wants PATH=V1,V2,..., got \'optim.lr\''),
    (_deck(_step("a", compare="optim.lr=0.1")),
     'my_deck.json: step 1 ("a"): compare: a comparison has 2 to 8 runs, got 1'),
    (_deck(_step("a", compare="optim.lr=0.1,-1")),
     'my_deck.json: step 1 ("a"): compare: run \'lr=-1\': optim.lr: must be > 0.0'),
    (_deck(_step("a", compare="optim.lr=0.1,1", expect=[{"measure": "val_acc", "above": 0.5}])),
     'my_deck.json: step 1 ("a"): expect[0].run: a step that compares runs measures one of them: lr=0.1, lr=1'),
    (_deck(_step("a", compare="optim.lr=0.1,1", expect=[{"measure": "val_acc", "run": "lr=0.1", "above_run": "lr=3"}])),
     'my_deck.json: step 1 ("a"): expect[0].above_run: no run \'lr=3\' in this step; its runs: lr=0.1, lr=1'),
    (_deck(_step("a", expect=[{"measure": "val_acc", "run": "lr=0.1", "above": 0.5}])),
     'my_deck.json: step 1 ("a"): expect[0].run: only a step that compares runs names a run'),
    (_deck(_step("a", compare="optim.lr=0.1,1", expect=[{"measure": "val_acc", "run": "lr=1", "above": 0.5}]),
           _step("b", expect=[{"measure": "val_acc", "above_step": "a"}])),
     'my_deck.json: step 2 ("b"): expect[0].above_step: no step \'a\' in this deck that trains one run'),
    (_deck(_step("a", expect=[{"measure": ["val_acc"], "above": 0.5}])),
     'my_deck.json: step 1 ("a"): expect[0].measure: unknown measure [\'val_acc\']'),
    (_deck(_step("a", expect=[{"measure": "accuracy", "above": 0.5}])),
     'my_deck.json: step 1 ("a"): expect[0].measure: unknown measure \'accuracy\'; choose one of train_loss'),
    (_deck(_step("a", expect=[{"measure": "val_acc", "above_step": "zzz"}])),
     'my_deck.json: step 1 ("a"): expect[0].above_step: no step \'zzz\' in this deck'),
    (_deck(_step("a", expect=[{"measure": "val_acc", "below_step": "a"}])),
     'my_deck.json: step 1 ("a"): expect[0].below_step: compares the step with itself'),
    (_deck(_step("a", expect=[{"measure": "val_acc"}])),
     'my_deck.json: step 1 ("a"): expect[0]: give at least one of below, above, below_step, above_step, below_run'),
    (_deck(_step("a", expect=[{"measure": "advice", "rule": "too_slow"}])),
     'my_deck.json: step 1 ("a"): expect[0].rule: unknown coach rule \'too_slow\''),
    (_deck(_step("a", expect=[{"measure": "gap", "below": 0.3, "rule": "overfitting"}])),
     'my_deck.json: step 1 ("a"): expect[0].rule: only the measure "advice" takes a rule'),
    (_deck(_step("a", expect=[{"measure": "gap", "below": "0.3"}])),
     'my_deck.json: step 1 ("a"): expect[0].below: must be a finite number'),
    (_deck(_step("a", text=["1", "2", "3", "4"])),
     'my_deck.json: step 1 ("a"): text: must be a string or a list of 1 to 3 strings'),
    (_deck(_step("a", text=["fine", "two\nlines"])),
     'my_deck.json: step 1 ("a"): text[1]: must be one non-empty line of text'),
    (_deck(_step("a", preset="xor_features", experiment={})),
     'my_deck.json: step 1 ("a"): preset: give exactly one of "preset" (a name or file) and "experiment"'),
    (_deck(_step("a", experiment={"model": {"layers": [{"units": 0}]}})),
     'my_deck.json: step 1 ("a"): experiment.model.layers[0].units: must be >= 1, got 0'),
    (_deck(_step("a", watch="")), 'my_deck.json: step 1 ("a"): watch: must be one non-empty line of text'),
    (_deck(_step("Bad Id")), 'my_deck.json: step 1 ("Bad id"): id: must be lowercase letters, digits and _'),
    (_deck(), "my_deck.json: steps: must be a list of at least one step"),
    (_deck(*[_step(f"s{i}") for i in range(100)]), "my_deck.json: steps: at most 99 steps, got 100"),
    (_deck(_step("a"), notes="typo"), "my_deck.json: notes: unknown key; known keys are deck, title, source, steps"),
    (_deck(_step("a"), deck=2), "my_deck.json: deck: must be 1 (the format's version), got 2"),
    ({"title": "An experiment", "data": {}}, 'my_deck.json: not a lecture deck: it must be an object starting'),
    ('{"deck": 1, "title": "Mine",\n  "steps": [\n    {"id": "a",}\n  ]}',
     "my_deck.json: not valid JSON: Expecting property name enclosed in double quotes at line 3 column 16"),
    ('{"deck": 1, "title": "Mine", "steps": [], "title": "Again"}',
     "my_deck.json: the key 'title' appears twice in one object"),
])
def test_deck_error_names_the_file_the_step_and_the_field(tmp_path, deck, expected):
    message = _error(tmp_path, deck)
    assert message.startswith(expected), message


def test_a_deck_over_1_mb_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = _write(tmp_path, json.dumps(_deck(_step("a"))) + " " * MAX_DECK_BYTES)
    monkeypatch.setattr(type(path), "read_text", lambda *a, **k: pytest.fail("read a deck over the limit"))
    with pytest.raises(DeckError, match=r"^my_deck.json: 1.0 MB; a deck is at most 1 MB$"):
        load_deck(path)


def test_an_unknown_deck_name_lists_the_shipped_ones():
    with pytest.raises(DeckError, match="no lecture deck file or shipped deck named 'cs231n'; shipped decks: "
                                        "training_neural_networks"):
        load_deck("cs231n")


def test_a_users_deck_with_an_experiment_file_and_an_inline_experiment(tmp_path, monkeypatch):
    (tmp_path / "experiments").mkdir()
    mine = load_experiment("xor_features").with_changes({"train.epochs": 7})
    mine.save(tmp_path / "experiments" / "mine.json")
    inline = {"data": {"name": "gauss"}, "model": {"layers": []}}
    path = _write(tmp_path, _deck(_step("from_file", preset="experiments/mine.json", set={"optim.lr": 0.1}),
                                  _step("inline", experiment=inline, tab="activations", autoplay=False,
                                        text=["One.", "Two."])))
    monkeypatch.chdir(tmp_path / "experiments")  # paths are relative to the deck file, not to here

    deck = load_deck(str(path))
    assert (deck.title, deck.source, deck.path) == ("Mine", "", path)
    from_file, own = deck.steps
    assert from_file.experiment.train.epochs == 7 and from_file.experiment.optim.lr == 0.1
    assert from_file.experiment.data.features == ["x1*x2"] and from_file.experiment.title == "From file"
    assert (own.experiment.data.name, own.experiment.model.layers, own.experiment.title) == ("gauss", [], "Inline")
    assert (own.tab, own.autoplay, own.text, own.expect) == ("activations", False, ("One.", "Two."), ())
    assert (from_file.tab, from_file.autoplay, from_file.text) == ("loss", True, ("One line.",))


def test_decks_dir_follows_the_resources_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_RESOURCES", str(tmp_path))  # as the packaged app sets it
    assert decks_dir() == tmp_path / "lectures" and deck_names() == []


# -- the command line -----------------------------------------------------------------------------


def _small_deck(tmp_path, bound):
    """XOR from its product feature (100% in 3 epochs) against XOR from X1 and X2 (about 50%)."""
    steps = [_step("product", set={"train.epochs": 3},
                   expect=[{"measure": "val_acc", bound: 0.9, "above_step": "raw"}]),
             _step("raw", set={"train.epochs": 3, "data.features": ["x1", "x2"]},
                   expect=[{"measure": "val_acc", "below": 0.6}])]
    return str(_write(tmp_path, _deck(*steps), "small.json"))


def test_cli_lists_the_shipped_deck(playground):
    code, out, _ = playground("lecture", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [DEFAULT_DECK, str(len(IDS)), "steps", *DECK.title.split()]
    assert [line.split()[:2] for line in lines[1:]] == [[str(n), i] for n, i in enumerate(IDS, start=1)]


def test_cli_checks_one_step_and_prints_its_figures(playground, tmp_path):
    code, out, err = playground("lecture", "check", _small_deck(tmp_path, "above"), "--step", "product")
    assert code == 0, err
    line, summary = out.splitlines()
    assert line.startswith(" 1 product  val_acc 1 > 0.9 ok; val_acc 1 > 0.4") and "(raw) ok  (" in line
    assert line.endswith(" s)") and summary.startswith("all 1 steps show their phenomenon")


def test_cli_check_exits_1_when_an_expectation_fails(playground, tmp_path):
    code, out, _ = playground("lecture", "check", _small_deck(tmp_path, "below"))
    assert code == 1
    product, raw, summary = out.splitlines()
    assert "val_acc 1 < 0.9 FAIL" in product and raw.startswith(" 2 raw      val_acc 0.4") and "< 0.6 ok" in raw
    assert summary.startswith("1 of 2 steps failed: product")


@pytest.mark.parametrize("args", [("broken.json",), (DEFAULT_DECK, "--step", "nope")])
def test_cli_check_exits_2_with_one_line_on_a_bad_deck(playground, tmp_path, args):
    _write(tmp_path, _deck(_step("a", tab="plots")), "broken.json")
    code, out, err = playground("lecture", "check", *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("playground: error: "), err
    assert ('step 1 ("a"): tab' if args[0] == "broken.json" else "no step 'nope'") in err


def test_cli_passes_the_lecture_to_the_window(playground, monkeypatch):
    calls = []
    window = types.ModuleType("playground.ui.app")
    window.run_app = lambda *args, **kwargs: calls.append((args, kwargs)) or 0
    monkeypatch.setitem(sys.modules, "playground.ui.app", window)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert playground("--lecture", "my_deck.json")[0] == 0
    assert calls[0][1]["lecture"] == "my_deck.json"

"""Lecture decks: a lecture as an ordered list of steps, each an experiment with a card that says
what the lecturer says about it and what to watch on screen.

A deck is a JSON file (at most 1 MB, at most 99 steps)::

    {
      "deck": 1,                                  the format's version: always 1
      "title": "Training Neural Networks",
      "source": "Stanford CS231n lecture 7",      optional free text
      "steps": [
        {
          "id": "init_too_small",                 unique in the deck, lowercase letters, digits, _
          "title": "Weights too small",
          "text": ["line one", "line two"],       1 to 3 lines of explanation (a string is one line)
          "watch": "What to watch: ...",          one line
          "preset": "init_too_small",             a preset name, or an experiment file's path
                                                  (relative to the deck file's folder)
          "experiment": {...},                    OR the experiment itself: exactly one of the two
          "set": {"optim.lr": 0.01},              optional: fields changed by path (as --set does)
          "compare": "optim.lr=0.0001,0.1,3",     optional: runs side by side instead of one, one per
                                                  value of the field (as --compare does); the step's
                                                  experiment is what they vary
          "tab": "activations",                   optional: the plots shown, "loss" (default),
                                                  "activations" or "surfaces"; "runs" (the default
                                                  of a compare step, and only there)
          "autoplay": true,                       optional, default true: train when the step opens
          "expect": [{"measure": "act_std_ratio", "below": 1e-3}]
                                                  optional: the phenomenon in numbers
        }
      ]
    }

An expectation names a measure of the step's headless run (phenomena.MEASURES: ``val_acc``,
``gap``, ``act_std_ratio``, ...) and one or more bounds, all strict: ``"below": x``, ``"above": x``,
``"below_step": ID`` and ``"above_step": ID`` (the same measure of another step of the deck). The
measure ``advice`` takes ``"rule": NAME``, a coach rule, and is then expected to fire. In a step
that compares runs, every expectation names the run it measures (``"run": "lr=3"``) and may bound it
by another run of the step (``"below_run"``, ``"above_run"``); another step cannot bound by it.

Unknown keys are refused (a typo must not pass silently), and the whole deck is checked on load,
every step's experiment built, so that a mistake shows when the deck opens, not at step 17. Every
error is one line naming the file, the step and the field:
``my_deck.json: step 3 ("lr_high"): set.optim.lr: must be > 0, got -1``.

``check_deck`` trains each step headless and checks its expectations: ``playground lecture check``
and the tests walk the shipped deck with it. Torch is imported only there, so that the window's
process loads decks without it.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from playground.core.compare import Run, parse_vary, vary
from playground.core.errors import SpecError
from playground.core.paths import resources_dir
from playground.core.phenomena import Expectation, Figure
from playground.core.presets import presets_dir
from playground.core.spec import Experiment

FORMAT_VERSION = 1
DEFAULT_DECK = "training_neural_networks"
MAX_DECK_BYTES = 1_000_000
MAX_STEPS = 99
MAX_TEXT_LINES = 3
TABS = ("loss", "activations", "surfaces", "runs")
DECK_KEYS = ("deck", "title", "source", "steps")
STEP_KEYS = ("id", "title", "text", "watch", "preset", "experiment", "set", "compare", "tab", "autoplay", "expect")
STEP_ID = re.compile(r"[a-z0-9_]+")


class DeckError(ValueError):
    """A deck that cannot be shown; ``str(e)`` is one line for the user."""


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    text: tuple[str, ...]
    watch: str
    experiment: Experiment  # the preset, file or inline experiment with "set" applied, titled as the step
    tab: str
    autoplay: bool
    expect: tuple[Expectation, ...]
    compared: str = ""  # the field a compare step varies
    runs: tuple[Run, ...] = ()  # a compare step's runs: (name, experiment), trained side by side


@dataclass(frozen=True)
class Deck:
    title: str
    source: str
    path: Optional[Path]
    steps: tuple[Step, ...]

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        name = self.path.name if self.path else f"the deck {self.title!r}"
        raise DeckError(f"{name}: no step {step_id!r}; its steps: {', '.join(s.id for s in self.steps)}")


def decks_dir() -> Path:
    return resources_dir() / "lectures"


def deck_names() -> list[str]:
    return sorted(p.stem for p in decks_dir().glob("*.json"))


def load_deck(name_or_path: str | Path) -> Deck:
    """A shipped deck's name (``training_neural_networks``) or the path of any deck file."""
    path = Path(name_or_path)
    if path.suffix != ".json" and not path.is_file():
        path = decks_dir() / f"{name_or_path}.json"
        if not path.is_file():
            raise DeckError(f"no lecture deck file or shipped deck named {str(name_or_path)!r}; "
                            f"shipped decks: {', '.join(deck_names()) or 'none found'}")
    try:
        size = path.stat().st_size
        if size > MAX_DECK_BYTES:
            raise DeckError(f"{path.name}: {size / 1e6:.1f} MB; a deck is at most {MAX_DECK_BYTES / 1e6:g} MB")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DeckError(f"cannot read {path}: {e}") from None
    try:
        raw = json.loads(text, object_pairs_hook=_refuse_repeated_keys)
    except json.JSONDecodeError as e:
        raise DeckError(f"{path.name}: not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except _RepeatedKey as e:
        raise DeckError(f"{path.name}: the key {e.args[0]!r} appears twice in one object") from None
    return _DeckReader(path).deck(raw)


class _RepeatedKey(Exception):
    pass


def _refuse_repeated_keys(pairs: list[tuple[str, Any]]) -> dict:
    """JSON keeps the last of two equal keys without a word: a deck says so instead."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _RepeatedKey(key)
        out[key] = value
    return out


class _DeckReader:
    """Checks a deck's JSON and builds it; every error names the file, the step and the field."""

    def __init__(self, path: Path):
        self.path = path
        self.where = ""  # the step being read, as errors name it

    def fail(self, field: str, problem: str) -> DeckError:
        return DeckError(f"{self.path.name}: {self.where}{field + ': ' if field else ''}{problem}")

    def deck(self, raw: Any) -> Deck:
        if not isinstance(raw, dict) or "deck" not in raw:
            raise self.fail("", f"not a lecture deck: it must be an object starting with \"deck\": {FORMAT_VERSION}")
        self.refuse_unknown(raw, DECK_KEYS)
        if raw["deck"] != FORMAT_VERSION or isinstance(raw["deck"], bool):
            raise self.fail("deck", f"must be {FORMAT_VERSION} (the format's version), got {raw['deck']!r}")
        title = self.line(raw.get("title"), "title")
        source = self.line(raw["source"], "source") if "source" in raw else ""
        steps = raw.get("steps")
        if not isinstance(steps, list) or not steps:
            raise self.fail("steps", "must be a list of at least one step")
        if len(steps) > MAX_STEPS:
            raise self.fail("steps", f"at most {MAX_STEPS} steps, got {len(steps)}")
        ids = self.step_ids(steps)
        single = [step_id for raw_step, step_id in zip(steps, ids) if "compare" not in raw_step]
        built = []
        for number, (raw_step, step_id) in enumerate(zip(steps, ids), start=1):
            self.where = f"step {number} ({json.dumps(step_id)}): "
            built.append(self.step(raw_step, step_id, single))
        return Deck(title, source, self.path, tuple(built))

    def step_ids(self, steps: list) -> list[str]:
        """Every step's id, checked first: an expectation may name a later step."""
        ids: list[str] = []
        for number, raw in enumerate(steps, start=1):
            self.where = f"step {number}: "
            if not isinstance(raw, dict):
                raise self.fail("", "must be an object")
            if isinstance(raw.get("title"), str) and raw["title"].strip():
                self.where = f"step {number} ({json.dumps(raw['title'])}): "
            step_id = raw.get("id")
            if not isinstance(step_id, str) or not STEP_ID.fullmatch(step_id):
                raise self.fail("id", f"must be lowercase letters, digits and _, got {step_id!r}")
            self.where = f"step {number} ({json.dumps(step_id)}): "
            if step_id in ids:
                raise self.fail("id", f"{step_id!r} is also the id of step {ids.index(step_id) + 1}")
            ids.append(step_id)
        self.where = ""
        return ids

    def step(self, raw: dict, step_id: str, ids: list[str]) -> Step:
        """``ids``: the steps of one run, which an expectation may bound by."""
        self.refuse_unknown(raw, STEP_KEYS)
        title = self.line(raw.get("title"), "title")
        text = raw.get("text")
        lines = [text] if isinstance(text, str) else text
        if not isinstance(lines, list) or not 1 <= len(lines) <= MAX_TEXT_LINES:
            raise self.fail("text", f"must be a string or a list of 1 to {MAX_TEXT_LINES} strings")
        for i, line in enumerate(lines):
            self.line(line, f"text[{i}]" if isinstance(text, list) else "text")
        watch = self.line(raw.get("watch"), "watch")
        tab = raw.get("tab", "runs" if "compare" in raw else "loss")
        if tab not in TABS:
            raise self.fail("tab", f"must be one of {', '.join(f'{t!r}' for t in TABS)}, got {tab!r}")
        if tab == "runs" and "compare" not in raw:
            raise self.fail("tab", "\"runs\" shows compared runs: give the step a \"compare\"")
        autoplay = raw.get("autoplay", True)
        if not isinstance(autoplay, bool):
            raise self.fail("autoplay", f"must be true or false, got {autoplay!r}")
        experiment = self.experiment(raw)
        experiment.title = title
        compared, runs = self.compare(raw["compare"], experiment) if "compare" in raw else ("", [])
        expect = raw.get("expect", [])
        if not isinstance(expect, list):
            raise self.fail("expect", "must be a list of expectations")
        expectations = []
        for i, item in enumerate(expect):
            try:
                expectations.append(Expectation.from_dict(item, ids, step_id, [name for name, _ in runs]))
            except SpecError as e:
                raise self.fail(f"expect[{i}]" + (f".{e.path}" if e.path else ""), e.problem) from None
        return Step(step_id, title, tuple(lines), watch, experiment, tab, autoplay, tuple(expectations),
                    compared, tuple(runs))

    def compare(self, value: Any, experiment: Experiment) -> tuple[str, list[Run]]:
        """``"PATH=V1,V2,..."``: the field and its runs, each checked as a comparison checks them."""
        if not isinstance(value, str):
            raise self.fail("compare", f"must be a string like \"optim.lr=0.0001,0.1,3\", got {value!r}")
        try:
            path, values = parse_vary(value)
            return path, vary(experiment, path, values)
        except SpecError as e:
            problem = str(e).removeprefix("--vary ").replace("--vary wants", "wants")
            raise self.fail("compare", problem) from None

    def experiment(self, raw: dict) -> Experiment:
        """The preset, file or inline experiment, with the step's "set" applied."""
        if ("preset" in raw) == ("experiment" in raw):
            raise self.fail("preset", "give exactly one of \"preset\" (a name or file) and \"experiment\"")
        if "preset" in raw:
            exp = self.preset(raw["preset"])
        else:
            try:
                exp = Experiment.from_dict(raw["experiment"])
            except SpecError as e:
                raise self.fail(f"experiment.{e.path}" if e.path else "experiment", e.problem) from None
        changes = raw.get("set", {})
        if not isinstance(changes, dict):
            raise self.fail("set", "must be an object of field paths and values, like {\"optim.lr\": 0.01}")
        try:
            return exp.with_changes(changes)
        except SpecError as e:
            raise self.fail(f"set.{e.path}" if e.path else "set", e.problem) from None

    def preset(self, value: Any) -> Experiment:
        """A preset's name, or an experiment file's path relative to the deck's folder."""
        if not isinstance(value, str) or not value.strip():
            raise self.fail("preset", f"must be a preset name or a file path, got {value!r}")
        file = self.path.parent / value
        if Path(value).suffix != ".json" and not file.is_file():
            file = presets_dir() / f"{value}.json"
        if not file.is_file():
            raise self.fail("preset", f"no preset or file named {value!r}")
        try:
            return Experiment.load(file)
        except SpecError as e:
            raise self.fail("preset", f"{value}: {e}") from None

    def line(self, value: Any, field: str) -> str:
        if not isinstance(value, str) or not value.strip() or "\n" in value:
            raise self.fail(field, f"must be one non-empty line of text, got {value!r}")
        return value

    def refuse_unknown(self, raw: dict, known: tuple[str, ...]) -> None:
        unknown = [key for key in raw if key not in known]
        if unknown:
            raise self.fail(unknown[0], f"unknown key; known keys are {', '.join(known)}")


# -- walking a deck headless ----------------------------------------------------------------------

@dataclass(frozen=True)
class StepResult:
    step: Step
    figures: tuple[Figure, ...]
    seconds: float  # building the run and training it, as the window would wait for it
    end: str  # the run's end reason

    @property
    def ok(self) -> bool:
        return self.end != "error" and all(f.ok for f in self.figures)


def check_deck(deck: Deck, steps: Optional[Iterable[str]] = None,
               on_result: Optional[Callable[[StepResult], None]] = None) -> list[StepResult]:
    """Train each step (all, or those ``steps`` names) headless and check its expectations. A step
    that another one compares with is trained once, whether or not it is checked itself."""
    chosen = list(deck.steps) if steps is None else [deck.step(s) for s in steps]
    runs: dict[str, tuple[list[dict], float, str]] = {}

    def run_of(step_id: str) -> list[dict]:
        if step_id not in runs:
            runs[step_id] = _train(deck.step(step_id).experiment)
        return runs[step_id][0]

    results = []
    for step in chosen:
        if step.runs:  # one after another here; the window trains them side by side
            trained = {name: _train(exp) for name, exp in step.runs}
            figures = [f for e in step.expect for f in e.figures([], run_of, lambda name: trained[name][0])]
            seconds = sum(t[1] for t in trained.values())
            ends = {t[2] for t in trained.values()}
            end = "error" if "error" in ends else f"{len(trained)} runs: {', '.join(sorted(ends))}"
        else:
            records = run_of(step.id)
            figures = [f for e in step.expect for f in e.figures(records, run_of)]
            _, seconds, end = runs[step.id]
        result = StepResult(step, tuple(figures), seconds, end)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def _train(exp: Experiment) -> tuple[list[dict], float, str]:
    from playground.core.trainer import Trainer  # torch: only a check trains

    records: list[dict] = []
    started = time.perf_counter()
    end = Trainer(exp, records.append).run()
    return records, time.perf_counter() - started, end["reason"]

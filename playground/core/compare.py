"""Compare runs: 2 to 8 named variants of an experiment, trained side by side.

A comparison is a list of ``(name, Experiment)``: one experiment with one field varied
(``vary(exp, "optim.name", ["sgd", "adam"])``) or several experiment files and presets
(``from_specs``). ``run_comparison`` trains them in ``workers`` processes of their own, one run at a
time in each, on one torch thread (two workers on two cores do not fight over them), and every
run seeds everything it draws: its numbers are those of the same experiment run alone
(``playground run``), whatever the worker count. Records stream back as they are made, each
marked with its run's name by the trainer that made it.

Why processes and not one vmap-stacked model (torch.func) for runs that differ only in numbers:
measured on 2 cores with the default preset, an SGD sweep of 6 LRs over 100 epochs took 3.0-4.4 s
stacked against 4.7-6.4 s as 6 trainer runs one after another in one process (1.3-1.6x, without
the trainer's probes, coach and accuracy; two processes give up to 2x where the cores are free),
and at LR 0.3, where training is chaotic, float rounding in another order took the stacked run
0.43 away from the separate one after 9 epochs. Not clearly worth a second training loop.

This module imports no torch (nor Qt): the window's process can plan a comparison and read its
records; only the worker processes train.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from playground.core.errors import SpecError
from playground.core.paths import resources_dir
from playground.core.sweep import MAX_WORKERS, end_workers, init_worker, worker_context

MIN_RUNS, MAX_RUNS = 2, 8
POLL_S = 0.1  # how often a waiting comparison looks for records and at ``stop``
_STRUCTURAL = ("unknown key", "not a field path", "no such item", "is not an object")  # a bad path, not a bad value

Run = tuple[str, Any]  # (name, Experiment)


@dataclass
class RunResult:
    """One run of a comparison: every record it made, in order, and its own time."""

    name: str
    records: list[dict] = field(default_factory=list)
    seconds: float = 0.0  # the run's own time in its worker, building included
    spec: dict = field(default_factory=dict)  # the experiment with the defaults it chose written out

    @property
    def epochs(self) -> list[dict]:
        return [r for r in self.records if r["type"] == "epoch"]

    @property
    def final(self) -> dict:
        """The last epoch record ({} if none was measured)."""
        epochs = self.epochs
        return epochs[-1] if epochs else {}

    @property
    def end(self) -> dict:
        return next((r for r in reversed(self.records) if r["type"] == "end"), {})


@dataclass
class Comparison:
    """The runs in the order they were asked for, and how long they took together."""

    runs: list[RunResult]
    seconds: float  # wall-clock time of the whole comparison
    workers: int

    @property
    def run_seconds(self) -> float:
        """What the runs would take one after another: the sum of their own times."""
        return sum(r.seconds for r in self.runs)

    @property
    def speedup(self) -> float:
        return self.run_seconds / self.seconds if self.seconds > 0 else 1.0


# -- planning (no torch) ----------------------------------------------------------------------
def split_values(text: str) -> list[str]:
    """``"sgd,adam"`` -> ["sgd", "adam"]; commas inside JSON lists, objects and strings stay
    (``[4,2],[8]`` is two values)."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, char in enumerate(text):
        if char == '"' and text[i - 1:i] != "\\":
            quoted = not quoted
        elif not quoted and char in "[{":
            depth += 1
        elif not quoted and char in "]}":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def parse_vary(text: str) -> tuple[str, list[str]]:
    """``"optim.lr=0.01,0.03"`` -> ("optim.lr", ["0.01", "0.03"])."""
    path, sep, values = text.partition("=")
    if not sep or not path.strip():
        raise SpecError("", f"--vary wants PATH=V1,V2,..., got {text!r}")
    return path.strip(), split_values(values)


def vary(exp, path: str, values: Sequence[str]) -> list[Run]:
    """One run per value of the field at ``path`` (values are JSON where they parse, else bare
    strings, as with --set). A run is named by its value: ``sgd`` for a name, ``lr=0.003`` for a
    number. An unknown path is said once, with the path; a bad value names its run and the field."""
    runs = []
    for text in values:
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        name = text if isinstance(value, str) else f"{_leaf(path)}={text}"
        try:
            runs.append((name, exp.with_changes({path: value})))
        except SpecError as e:
            if path.startswith(e.path) and e.problem.startswith(_STRUCTURAL):
                raise SpecError("", f"--vary {e}") from None
            raise SpecError("", f"run {name!r}: {e}") from None
    return check_runs(_unique_names(runs))


def from_specs(specs: Sequence[str], overrides: Sequence[str] = ()) -> list[Run]:
    """One run per experiment file or preset, named by its file stem (``lr_good``; a second
    ``lr_good`` becomes ``lr_good-2``), each with the same ``--set`` overrides."""
    from playground.core.presets import load_experiment

    runs = []
    for spec in specs:
        name = Path(spec).stem or spec
        try:
            exp = load_experiment(spec)
            runs.append((name, exp.with_overrides(list(overrides)) if overrides else exp))
        except SpecError as e:
            raise SpecError("", f"run {name!r}: {e}") from None
    return check_runs(_unique_names(runs))


@dataclass(frozen=True)
class ComparisonPreset:
    """A shipped comparison (``resources/comparisons/NAME.json``): one spec with one field varied
    (``"spec"`` and ``"vary": "PATH=V1,V2"``) or several specs (``"specs"``), a title and two lines."""

    name: str
    title: str
    description: str
    what: str  # the varied field, or "experiment"
    runs: list


def comparisons_dir() -> Path:
    return resources_dir() / "comparisons"


def comparison_names() -> list[str]:
    return sorted(p.stem for p in comparisons_dir().glob("*.json"))


def comparison_info(name: str) -> tuple[str, str]:
    """A shipped comparison's title and description, without building its runs (a menu's text)."""
    try:
        raw = json.loads((comparisons_dir() / f"{name}.json").read_text(encoding="utf-8"))
        return str(raw["title"]), str(raw["description"])
    except (OSError, KeyError, TypeError, json.JSONDecodeError):
        return name, ""


def load_comparison(name: str) -> ComparisonPreset:
    """A shipped comparison by name; a SpecError names the file and what is wrong in it."""
    from playground.core.presets import load_experiment

    path = comparisons_dir() / f"{name}.json"
    if not path.is_file():
        raise SpecError("", f"no comparison named {name!r}; shipped: {', '.join(comparison_names())}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if "vary" in raw:
            what, values = parse_vary(raw["vary"])
            runs = vary(load_experiment(raw["spec"]), what, values)
        else:
            what, runs = "experiment", from_specs(raw["specs"])
        return ComparisonPreset(name, raw["title"], raw["description"], what, runs)
    except (KeyError, TypeError, json.JSONDecodeError) as e:
        raise SpecError("", f"{path.name}: not a comparison ({e})") from None
    except SpecError as e:
        raise SpecError("", f"{path.name}: {e}") from None


def check_runs(runs: list[Run]) -> list[Run]:
    if not MIN_RUNS <= len(runs) <= MAX_RUNS:
        raise SpecError("", f"a comparison has {MIN_RUNS} to {MAX_RUNS} runs, got {len(runs)}")
    return runs


def with_epochs(runs: list[Run], epochs: int) -> list[Run]:
    """Every run trained for ``epochs`` (the --epochs of the command line)."""
    out = []
    for name, exp in runs:
        try:
            out.append((name, exp.with_changes({"train.epochs": epochs})))
        except SpecError as e:
            raise SpecError("", f"--epochs: {e.problem}") from None
    return out


def _leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def _unique_names(runs: list[Run]) -> list[Run]:
    seen: dict[str, int] = {}
    out = []
    for name, exp in runs:
        seen[name] = seen.get(name, 0) + 1
        out.append((name if seen[name] == 1 else f"{name}-{seen[name]}", exp))
    return out


# -- the workers --------------------------------------------------------------------------------
_records: Optional[Any] = None  # in a worker: the queue its runs' records go back through


def _init_compare_worker(records) -> None:
    """One torch thread, Ctrl+C left to the parent; and the process's one-time costs paid here, not
    on the first run's clock: the first optimizer a process builds imports torch._dynamo (1 s)."""
    global _records
    init_worker()
    _records = records
    import torch

    import playground.core.trainer  # noqa: F401

    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)


def train_run(name: str, experiment: str) -> dict:
    """Train one run to its end (in a worker process), sending each record back as it is made;
    returns its time and resolved spec, or {"error": ...} (a SpecError does not survive pickling)."""
    try:
        from playground.core.spec import Experiment
        from playground.core.trainer import Trainer

        started = time.perf_counter()
        trainer = Trainer(Experiment.from_json(experiment), _records.put, run=name)
        trainer.run()
        return {"seconds": round(time.perf_counter() - started, 3), "spec": trainer.resolved_experiment().to_dict()}
    except Exception as e:  # noqa: BLE001 - said in the caller's process, with the run's name
        return {"error": f"{type(e).__name__}: {e}" if not isinstance(e, SpecError) else str(e)}


def run_comparison(runs: list[Run], workers: int = 2, on_record: Optional[Callable[[dict], None]] = None, *,
                   stop: Optional[threading.Event] = None) -> Comparison:
    """Train every run and collect its records; ``on_record(record)`` sees each one in this thread
    as it arrives (``record["run"]`` is the run's name). ``stop`` (set from another thread) kills the
    runs under way and returns what arrived. A run that fails raises RuntimeError naming it."""
    runs = check_runs(list(runs))
    if not 1 <= workers <= MAX_WORKERS:
        raise SpecError("", f"workers: 1 to {MAX_WORKERS}, got {workers}")
    results = {name: RunResult(name) for name, _ in runs}
    if len(results) != len(runs):
        raise SpecError("", "two runs have the same name")
    context = worker_context()
    if context.get_start_method() == "forkserver":  # imported once for all workers: 2 s less to wait
        context.set_forkserver_preload(["torch", "torch._dynamo", "playground.core.trainer"])
    records = context.Queue()
    started = time.perf_counter()
    pool = ProcessPoolExecutor(max_workers=min(workers, len(runs)), mp_context=context,
                               initializer=_init_compare_worker, initargs=(records,))
    ended: set[str] = set()
    pending: dict[Future, str] = {}
    try:
        pending = {pool.submit(train_run, name, exp.to_json()): name for name, exp in runs}
        while (pending or len(ended) < len(runs)) and not (stop is not None and stop.is_set()):
            _drain(records, results, ended, on_record)
            for future in [f for f in pending if f.done()]:
                name = pending.pop(future)
                outcome = _outcome(future, name)
                results[name].seconds, results[name].spec = outcome["seconds"], outcome["spec"]
    finally:
        if pending or len(ended) < len(runs):
            end_workers(pool)
        else:
            pool.shutdown(wait=True)
    return Comparison(list(results.values()), time.perf_counter() - started, workers)


def _drain(records, results: dict[str, RunResult], ended: set[str], on_record) -> None:
    """Hand on the records that arrived, waiting up to POLL_S for the first."""
    try:
        record = records.get(timeout=POLL_S)
        while True:
            results[record["run"]].records.append(record)
            if record["type"] == "end":
                ended.add(record["run"])
            if on_record is not None:
                on_record(record)
            record = records.get_nowait()
    except queue.Empty:
        pass


def _outcome(future: Future, name: str) -> dict:
    try:
        outcome = future.result()
    except BrokenProcessPool:
        raise RuntimeError(f"run {name!r}: its worker process died (out of memory?)") from None
    if "error" in outcome:
        raise RuntimeError(f"run {name!r}: {outcome['error']}")
    return outcome


def folder_name(name: str) -> str:
    """A run's folder: its name with anything a file system may refuse replaced by _."""
    return "".join(c if c.isalnum() or c in "._=+-" else "_" for c in name).strip(".") or "run"

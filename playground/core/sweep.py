"""The few-shot sweep: the lecture's transfer-learning table, measured.

Every strategy is trained with every number of labelled examples per class, each with several
seeds (``data.seed`` and ``train.seed`` both set to 0, 1, ...), and the final validation accuracy
of each run is kept. ``per_class`` None means all the data: ``data.per_class`` omitted, so that
``data.val_fraction`` splits it. The runs go to ``workers`` processes of their own, each on one
torch thread, so that every core works; every run seeds everything it draws, so the numbers do
not depend on how many workers there are or which one ran what.

This module imports no torch at the top (nor Qt anywhere): the window's process can plan a sweep,
read its result and draw it; only the worker processes train.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Optional, Sequence

from playground.core.errors import SpecError

DEFAULT_PER_CLASS: tuple[Optional[int], ...] = (1, 5, 20, None)
DEFAULT_STRATEGIES = ("linear_probe", "fine_tune_top", "fine_tune_all", "scratch")
DEFAULT_SEEDS = 5
MAX_SEEDS = 1000
MAX_WORKERS = 64
POLL_S = 0.2  # how often a waiting sweep looks at ``stop``


@dataclass(frozen=True)
class SweepRow:
    """One training run of a sweep."""

    strategy: str
    per_class: Optional[int]  # None: all the data (data.val_fraction)
    seed: int
    val_acc: Optional[float]  # the last epoch record's, a fraction; None if no epoch was measured
    seconds: float  # the run's own time, building included
    train_examples: int = 0  # the size of its training split
    classes: int = 0
    end: str = "completed"  # the end record's reason: "diverged" runs keep their last accuracy

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> "SweepRow":
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in raw.items() if k in names})


@dataclass
class SweepResult:
    """The rows of a sweep, in the order strategy, per_class, seed (whatever order they ran in)."""

    strategies: list[str]
    per_class: list[Optional[int]]
    seeds: int
    rows: list[SweepRow] = field(default_factory=list)
    experiment: dict = field(default_factory=dict)  # the experiment every run started from
    overrides: dict = field(default_factory=dict)  # per strategy: {"scratch": {"optim.lr": 0.003}}
    seconds: float = 0.0  # wall-clock time of the whole sweep
    workers: int = 1

    # -- figures --------------------------------------------------------------------------------
    def accuracies(self, strategy: str, per_class: Optional[int]) -> list[float]:
        """The validation accuracies (fractions) of one cell, by seed."""
        return [r.val_acc for r in sorted(self.rows, key=lambda r: r.seed)
                if r.strategy == strategy and r.per_class == per_class and r.val_acc is not None]

    def cell(self, strategy: str, per_class: Optional[int]) -> Optional[tuple[float, float, int]]:
        """(mean, std, runs) of one cell in %: the sample standard deviation over seeds (0 for one
        run); None while no run of it has finished."""
        return cell_stats(self.accuracies(strategy, per_class))

    @property
    def all_per_class(self) -> Optional[float]:
        """Training examples per class when all the data is used (where "all" is drawn)."""
        return all_per_class(self.rows)

    @property
    def complete(self) -> bool:
        return len(self.rows) == len(self.strategies) * len(self.per_class) * self.seeds

    def table(self) -> str:
        """Rows strategies, columns examples per class, cells ``mean ± std`` over seeds in %."""
        columns = [per_class_label(pc, self.all_per_class, detail=True) for pc in self.per_class]
        body = []
        for strategy in self.strategies:
            cells = []
            for pc in self.per_class:
                stats = self.cell(strategy, pc)
                if stats is None:
                    cells.append("-")
                elif self.seeds == 1:
                    cells.append(f"{stats[0]:.1f}")
                else:
                    cells.append(f"{stats[0]:.1f} ± {stats[1]:.1f}" + ("" if stats[2] == self.seeds else "*"))
            body.append((strategy, cells))
        first = max(len("strategy"), *(len(s) for s in self.strategies))
        widths = [max(len(c), *(len(cells[i]) for _, cells in body)) for i, c in enumerate(columns)]
        seeds = f"mean ± std over {self.seeds} seeds" if self.seeds > 1 else "one seed"
        lines = [f"validation accuracy (%), {seeds}; columns: labelled training examples per class",
                 "  ".join([f"{'strategy':<{first}}", *(f"{c:>{w}}" for c, w in zip(columns, widths))])]
        for strategy, cells in body:
            lines.append("  ".join([f"{strategy:<{first}}", *(f"{c:>{w}}" for c, w in zip(cells, widths))]))
        if any(stats is not None and stats[2] != self.seeds for stats in
               (self.cell(s, pc) for s in self.strategies for pc in self.per_class)) and self.seeds > 1:
            lines.append("* fewer seeds than asked: the sweep was stopped")
        for row in self.rows:
            if row.end != "completed":
                lines.append(f"{row.strategy}, {per_class_label(row.per_class)} per class, seed {row.seed}: "
                             f"{row.end} (its last measured accuracy is counted)")
        return "\n".join(lines)

    # -- JSON -----------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"strategies": list(self.strategies), "per_class": list(self.per_class), "seeds": self.seeds,
                "all_per_class": self.all_per_class, "seconds": round(self.seconds, 3),
                "workers": self.workers, "overrides": self.overrides, "experiment": self.experiment,
                "rows": [r.to_dict() for r in self.rows]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n"

    @classmethod
    def from_dict(cls, raw: dict) -> "SweepResult":
        return cls(strategies=list(raw["strategies"]), per_class=list(raw["per_class"]), seeds=int(raw["seeds"]),
                   rows=[SweepRow.from_dict(r) for r in raw.get("rows", [])], experiment=raw.get("experiment", {}),
                   overrides=raw.get("overrides", {}), seconds=float(raw.get("seconds", 0.0)),
                   workers=int(raw.get("workers", 1)))

    @classmethod
    def from_json(cls, text: str) -> "SweepResult":
        return cls.from_dict(json.loads(text))


def cell_stats(values: Sequence[float]) -> Optional[tuple[float, float, int]]:
    """(mean, sample std, count) in % of accuracies given as fractions; None for none."""
    if not values:
        return None
    percent = [100.0 * v for v in values]
    mean = sum(percent) / len(percent)
    std = math.sqrt(sum((v - mean) ** 2 for v in percent) / (len(percent) - 1)) if len(percent) > 1 else 0.0
    return mean, std, len(percent)


def all_per_class(rows: Sequence[SweepRow]) -> Optional[float]:
    """Mean training examples per class of the runs on all the data; None without such a run."""
    sizes = [r.train_examples / r.classes for r in rows if r.per_class is None and r.classes]
    return sum(sizes) / len(sizes) if sizes else None


def parse_per_class(text: str, what: str = "examples per class") -> list[Optional[int]]:
    """``"1, 5, 20, all"`` -> [1, 5, 20, None], each once; a bad item is a SpecError naming it."""
    values: list[Optional[int]] = []
    for item in (part.strip().lower() for part in text.replace(";", ",").split(",")):
        if not item:
            continue
        if item != "all" and not (item.isdigit() and int(item) >= 1):
            raise SpecError("", f"{what}: {item!r} is not a count of examples per class (a whole number >= 1) "
                                "nor 'all'; write e.g. 1,5,20,all")
        value = None if item == "all" else int(item)
        if value not in values:
            values.append(value)
    if not values:
        raise SpecError("", f"{what}: write counts such as 1,5,20,all")
    return values


def per_class_label(per_class: Optional[int], full: Optional[float] = None, detail: bool = False) -> str:
    """``5``; all the data: ``all``, or ``all (50)`` with ``detail`` where the count is known."""
    if per_class is not None:
        return str(per_class)
    return f"all ({full:.3g})" if detail and full is not None else "all"


# -- planning (in the caller's process, no torch) -------------------------------------------------
@dataclass(frozen=True)
class _Job:
    strategy: str
    per_class: Optional[int]
    seed: int
    experiment: str  # JSON of the run's experiment


def plan_jobs(exp, per_class: Sequence[Optional[int]], strategies: Sequence[str], seeds: int,
              overrides: Optional[dict[str, dict[str, Any]]] = None) -> list[_Job]:
    """Every run's experiment, checked before anything trains; ordered seed by seed, so that the
    first results already cover every cell (a live plot fills in evenly)."""
    from playground.core.backbones import STRATEGIES
    from playground.core.datasets import DATASETS

    if not exp.transfer.enabled:
        raise SpecError("transfer.backbone", "a sweep compares transfer strategies; choose a backbone (it is none)")
    if DATASETS[exp.data.name].task != "classification":
        raise SpecError("data.name", f"{exp.data.name} is a regression set; a sweep measures accuracy")
    if not strategies:
        raise SpecError("", "no strategies to compare")
    for name in strategies:
        if name not in STRATEGIES:
            raise SpecError("", f"unknown strategy {name!r}; choose from {', '.join(STRATEGIES.names())}")
    if not per_class:
        raise SpecError("", "no per-class counts to sweep")
    if not 1 <= seeds <= MAX_SEEDS:
        raise SpecError("", f"seeds: 1 to {MAX_SEEDS}, got {seeds}")
    overrides = overrides or {}
    for name in overrides:
        if name not in STRATEGIES:
            raise SpecError("", f"overrides for unknown strategy {name!r}")
    jobs = []
    for pc in per_class:
        for strategy in strategies:
            changes = {"transfer.strategy": strategy, "data.per_class": pc, **overrides.get(strategy, {})}
            try:
                base = exp.with_changes(changes)
            except SpecError as e:
                if e.path == "data.per_class":
                    raise _naming(e, pc) from None
                raise
            for seed in range(seeds):
                run = base.with_changes({"data.seed": seed, "train.seed": seed})
                jobs.append(_Job(strategy, pc, seed, run.to_json()))
    _check_per_class(exp, [pc for pc in per_class if pc is not None])
    return sorted(jobs, key=lambda j: (j.seed, list(per_class).index(j.per_class), list(strategies).index(j.strategy)))


def _naming(error: SpecError, per_class: Optional[int]) -> SpecError:
    """``per class 200: class 30 has 100 examples; ...``: the problem with the value that caused it."""
    problem = error.problem if error.path == "data.per_class" else str(error)
    return SpecError("", f"per class {per_class_label(per_class)}: {problem}")


def _check_per_class(exp, values: list[int]) -> None:
    """Each count must leave every class validation examples (with data seed 0; another seed that
    draws other labels is caught by its run). Labels only: a folder's images are read tiny."""
    if not values:
        return
    import numpy as np

    from playground.core.data import FolderFormat, per_class_split, prepare_data

    spec = exp.with_changes({"data.per_class": None, "data.seed": 0}).data
    data = prepare_data(spec, FolderFormat(1, 8, 8) if spec.name == "folder" else None)
    labels = np.concatenate([data.y_train, data.y_val])
    names = data.class_names or [str(c) for c in range(data.info.num_classes)]
    for value in values:
        try:
            per_class_split(labels, len(names), value, np.random.default_rng(0), names)
        except SpecError as e:
            raise _naming(e, value) from None


# -- the workers ---------------------------------------------------------------------------------
def init_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle (it ends us)
    from playground.core.devices import use_few_threads

    use_few_threads()


def train_job(job: _Job) -> dict:
    """Train one run to its end (in a worker process); a row as a dict, or {"error": ...}
    (exceptions are passed back as text: a SpecError does not survive pickling)."""
    try:
        from playground.core.spec import Experiment
        from playground.core.trainer import Trainer

        started = time.perf_counter()
        last: dict = {}

        def on_record(record: dict) -> None:
            if record["type"] == "epoch":
                last.clear()
                last.update(record)

        trainer = Trainer(Experiment.from_json(job.experiment), on_record)
        end = trainer.run()
        if end["reason"] == "error":
            return {"error": end["message"], "spec": False}
        return SweepRow(job.strategy, job.per_class, job.seed, last.get("val_acc"),
                        round(time.perf_counter() - started, 3), len(trainer.data.y_train),
                        trainer.data.info.num_classes, end["reason"]).to_dict()
    except SpecError as e:
        return {"error": str(e), "spec": True}
    except Exception as e:  # noqa: BLE001 - said in the caller's process, with what was running
        return {"error": f"{type(e).__name__}: {e}", "spec": False}


def worker_context():
    """A clean process, never a fork of the caller's (the window's Qt threads): a fork server where
    there is one (it imports torch once for all workers), else a fresh interpreter."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["torch"])  # takes effect only if the server is not running yet
        return context
    return multiprocessing.get_context("spawn")


def end_workers(pool: ProcessPoolExecutor) -> None:
    """Stop now: queued runs are dropped and running ones killed (a run cannot be asked to stop)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public way before 3.14
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(5)


def run_sweep(exp, per_class: Sequence[Optional[int]], strategies: Sequence[str], seeds: int,
              on_result: Optional[Callable[[SweepRow], None]] = None, workers: int = 1, *,
              overrides: Optional[dict[str, dict[str, Any]]] = None, stop: Optional[threading.Event] = None,
              on_download: Optional[Callable[[int, int], None]] = None,
              on_start: Optional[Callable[[int], None]] = None) -> SweepResult:
    """Train every strategy x per_class x seed and keep each run's final validation accuracy.

    ``per_class`` holds counts of labelled training examples per class, None for all the data;
    ``overrides`` changes fields per strategy (``{"scratch": {"optim.lr": 0.003}}``; otherwise every
    strategy keeps the experiment's LR). ``on_result(row)`` is called in this thread as each run ends
    (in the order they end). ``stop`` (set from another thread) ends the sweep early: running runs
    are killed and the result holds the finished ones (``complete`` is False). ``on_download(done,
    total)`` sees an ImageNet backbone's weights arrive, once, before the workers start.

    Bad input raises SpecError before anything trains (a per-class count that leaves a class no
    validation examples names the count); a run that fails raises RuntimeError.
    """
    per_class, strategies = _unique(per_class), _unique(strategies)
    if not 1 <= workers <= MAX_WORKERS:
        raise SpecError("", f"workers: 1 to {MAX_WORKERS}, got {workers}")
    jobs = plan_jobs(exp, per_class, strategies, seeds, overrides)
    _fetch_weights(exp, on_download)
    if on_start is not None:
        on_start(len(jobs))
    result = SweepResult(list(strategies), list(per_class), seeds, experiment=exp.to_dict(),
                         overrides={k: dict(v) for k, v in (overrides or {}).items() if k in strategies},
                         workers=workers)
    started = time.perf_counter()
    pool = ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=worker_context(),
                               initializer=init_worker)
    finished = False
    try:
        pending: dict[Future, _Job] = {pool.submit(train_job, job): job for job in jobs}
        while pending and not (stop is not None and stop.is_set()):
            done, _ = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: jobs.index(pending[f])):
                job = pending.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    raise RuntimeError(f"a sweep worker process died while training {job.strategy}, per class "
                                       f"{per_class_label(job.per_class)}, seed {job.seed} (out of memory?)") from None
                if "error" in outcome:
                    if outcome["spec"]:
                        raise SpecError("", f"per class {per_class_label(job.per_class)}, seed {job.seed}, "
                                            f"{job.strategy}: {outcome['error']}")
                    raise RuntimeError(f"{job.strategy}, per class {per_class_label(job.per_class)}, seed "
                                       f"{job.seed}: {outcome['error']}")
                row = SweepRow.from_dict(outcome)
                result.rows.append(row)
                if on_result is not None:
                    on_result(row)
        finished = not pending
    finally:
        if finished:
            pool.shutdown(wait=True)
        else:
            end_workers(pool)
    result.seconds = time.perf_counter() - started
    order = {name: i for i, name in enumerate(strategies)}
    counts = {pc: i for i, pc in enumerate(per_class)}
    result.rows.sort(key=lambda r: (order[r.strategy], counts[r.per_class], r.seed))
    return result


def _unique(values: Sequence) -> list:
    seen: list = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def _fetch_weights(exp, progress) -> None:
    """An ImageNet backbone's weights, fetched here once rather than by every worker at once."""
    from playground.core.backbones import BACKBONES
    from playground.core.download import fetch

    weights = BACKBONES[exp.transfer.backbone].weights
    if weights is not None:
        fetch(weights, progress)

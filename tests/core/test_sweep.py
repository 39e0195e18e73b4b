"""The few-shot sweep, as a user runs it (``playground transfer-sweep`` in this process), and the
command line's other transfer additions: weight downloads shown by ``playground run`` and their
errors said in plain words, ``playground bench --transfer``."""

import json
import statistics
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO

import pytest

from playground.cli import main
from playground.core.download import DownloadError
from playground.core.presets import load_experiment
from playground.core.spec import Experiment
from playground.core.sweep import SweepResult, SweepRow, plan_jobs, run_sweep

SMALL = ["--per-class", "1,5", "--strategies", "linear_probe,scratch", "--seeds", "2", "--epochs", "5",
         "--set", "data.n_samples=1200"]  # 30 of each class: quick to draw and to validate on


@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory):
    """The small sweep through the command line with one worker: (exit code, stdout, stderr, folder)."""
    out = tmp_path_factory.mktemp("sweep")
    stdout, stderr = StringIO(), StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = main(["transfer-sweep", "transfer_linear_probe", *SMALL, "--workers", "1", "--out", str(out)])
    return code, stdout.getvalue(), stderr.getvalue(), out


def test_the_sweep_writes_every_run_the_table_and_the_plot(small_sweep):
    code, stdout, stderr, out = small_sweep
    assert code == 0, stderr
    result = json.loads((out / "sweep.json").read_text())
    assert result["strategies"] == ["linear_probe", "scratch"] and result["per_class"] == [1, 5]
    rows = result["rows"]
    assert [(r["strategy"], r["per_class"], r["seed"]) for r in rows] == [
        (s, pc, seed) for s in ("linear_probe", "scratch") for pc in (1, 5) for seed in (0, 1)]
    assert all(r["train_examples"] == 10 * r["per_class"] and r["classes"] == 10 for r in rows)  # per_class set
    assert all(0.0 <= r["val_acc"] <= 1.0 and r["seconds"] > 0 and r["end"] == "completed" for r in rows)
    assert rows[0]["val_acc"] != rows[1]["val_acc"]  # the seed changes the split and the weights
    assert result["experiment"]["train"]["epochs"] == 5 and result["experiment"]["data"]["n_samples"] == 1200
    assert "8/8" in stderr  # a progress line per run

    lines = stdout.splitlines()
    assert lines[0].startswith("validation accuracy (%), mean ± std over 2 seeds")
    assert lines[1].split() == ["strategy", "1", "5"]
    for line, strategy in zip(lines[2:4], ("linear_probe", "scratch")):
        expected = []
        for pc in (1, 5):
            accs = [100 * r["val_acc"] for r in rows if r["strategy"] == strategy and r["per_class"] == pc]
            expected += [f"{statistics.mean(accs):.1f}", "±", f"{statistics.stdev(accs):.1f}"]
        assert line.split() == [strategy, *expected]
    assert f"wrote {out / 'sweep.json'}, {out / 'sweep.png'}" in stdout
    assert (out / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert SweepResult.from_json((out / "sweep.json").read_text()).table() == "\n".join(lines[:4])


def test_two_workers_give_the_numbers_of_one(small_sweep):
    code, _, _, out = small_sweep
    assert code == 0
    one = SweepResult.from_json((out / "sweep.json").read_text())
    exp = load_experiment("transfer_linear_probe").with_changes({"train.epochs": 5, "data.n_samples": 1200})
    seen = []
    two = run_sweep(exp, [1, 5], ["linear_probe", "scratch"], 2, seen.append, workers=2)
    assert len(seen) == 8 and two.complete
    assert [(r.strategy, r.per_class, r.seed, r.val_acc) for r in two.rows] == \
           [(r.strategy, r.per_class, r.seed, r.val_acc) for r in one.rows]


def test_stop_ends_the_sweep_with_the_finished_runs_and_no_worker_left():
    import multiprocessing
    import threading

    exp = load_experiment("transfer_linear_probe").with_changes({"train.epochs": 3, "data.n_samples": 1200})
    stop = threading.Event()
    result = run_sweep(exp, [1, 5], ["linear_probe", "scratch"], 3, lambda row: stop.set(), workers=2, stop=stop)
    assert 1 <= len(result.rows) < 12 and not result.complete
    assert "* fewer seeds than asked: the sweep was stopped" in result.table()
    assert multiprocessing.active_children() == []


def test_scratch_gets_its_own_learning_rate_only_when_asked():
    exp = load_experiment("transfer_linear_probe")

    def lrs(overrides):
        jobs = plan_jobs(exp, [5], ["linear_probe", "scratch"], 1, overrides)
        return {j.strategy: Experiment.from_json(j.experiment).optim.lr for j in jobs}

    assert lrs(None) == {"linear_probe": 0.01, "scratch": 0.01}
    assert lrs({"scratch": {"optim.lr": 0.003}}) == {"linear_probe": 0.01, "scratch": 0.003}
    job = plan_jobs(exp, [None], ["scratch"], 2, None)[1]
    spec = Experiment.from_json(job.experiment)
    assert (spec.data.per_class, spec.data.seed, spec.train.seed, spec.transfer.strategy) == (None, 1, 1, "scratch")


@pytest.mark.parametrize("per_class, message", [
    ("1,abc", "--per-class: 'abc' is not a count of examples per class"),
    ("0", "--per-class: '0' is not a count"),
    ("5,200", "per class 200: class 30 has 100 examples; 200 for training leaves none to validate"),
])
def test_a_bad_per_class_value_exits_2_naming_it(playground, per_class, message):
    code, stdout, stderr = playground("transfer-sweep", "transfer_linear_probe", "--per-class", per_class)
    assert code == 2 and stdout == ""
    (line,) = stderr.strip().splitlines()
    assert line.startswith("playground: error: ") and message in line


def test_a_sweep_needs_a_transfer_experiment(playground):
    code, _, stderr = playground("transfer-sweep", "default")
    assert code == 2 and "transfer.backbone: a sweep compares transfer strategies" in stderr


def test_the_table_of_a_partial_sweep_marks_what_is_missing():
    rows = [SweepRow("linear_probe", None, 0, 0.9, 1.0, 500, 10), SweepRow("linear_probe", None, 1, 0.8, 1.0, 500, 10),
            SweepRow("scratch", None, 0, 0.5, 1.0, 500, 10, "diverged")]
    table = SweepResult(["linear_probe", "scratch"], [1, None], 2, rows).table().splitlines()
    assert table[1].split() == ["strategy", "1", "all", "(50)"]
    assert table[2].split() == ["linear_probe", "-", "85.0", "±", "7.1"]
    assert table[3].split() == ["scratch", "-", "50.0", "±", "0.0*"]
    assert "stopped" in table[4] and "scratch, all per class, seed 0: diverged" in table[5]


# -- playground run and bench: the transfer additions -------------------------------------------
def test_run_shows_the_weights_arriving_and_says_a_failed_download_whole(playground, monkeypatch):
    advice = "Cannot download mobilenet_v3_small-047dcff4.pth (no connection).\nDownload it by hand."

    def fetch(file, progress=None, **_):
        progress(0, 10_000_000)
        progress(10_000_000, 10_000_000)
        raise DownloadError(advice)

    monkeypatch.setattr("playground.core.transfer.fetch", fetch)
    code, _, stderr = playground("run", "transfer_mobilenet_folder", "--epochs", "1")
    assert code == 2
    assert "downloading mobilenet_v3_small weights [" in stderr and "10.0/10.0 MB 100%" in stderr
    assert stderr.endswith(f"playground: error: {advice}\n") and "Traceback" not in stderr

    code, _, stderr = playground("run", "transfer_mobilenet_folder", "--epochs", "1", "--quiet")
    assert code == 2 and stderr == f"playground: error: {advice}\n"


def test_bench_transfer_runs_the_transfer_bench(playground, monkeypatch):
    calls = []
    monkeypatch.setattr("playground.core.bench.run_transfer_bench",
                        lambda seconds, out: calls.append(seconds) or out.write("timed\n"), raising=False)
    code, stdout, _ = playground("bench", "--transfer", "--seconds", "0.5")
    assert code == 0 and calls == [0.5] and stdout == "timed\n"

"""Compare runs, as a user runs it (``playground compare`` in this process): every run's numbers are
those of the same experiment run alone, whatever the worker count, and its plot is drawn."""

import json
import subprocess
import sys
import threading
import time
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO

import pytest
from PIL import Image

from playground.cli import main
from playground.core.compare import run_comparison, split_values, vary
from playground.core.presets import load_experiment
from playground.ui.plots.compare_png import RUN_COLORS, read_runs

OPTIMIZERS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
EPOCH_FIGURES = ("train_loss", "val_loss", "train_acc", "val_acc")


def _records(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def _epochs(records):
    return [r for r in records if r["type"] == "epoch"]


@pytest.fixture(scope="module")
def optimizers(tmp_path_factory):
    """The issue's must-show 1 through the command line, on 2 workers: (exit code, stdout, stderr, folder)."""
    out = tmp_path_factory.mktemp("compare")
    stdout, stderr = StringIO(), StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = main(["compare", "default", "--vary", f"optim.name={','.join(OPTIMIZERS)}", "--epochs", "5",
                     "--out", str(out)])
    return code, stdout.getvalue(), stderr.getvalue(), out


def test_every_run_has_the_losses_of_the_same_spec_run_alone(optimizers, playground, tmp_path):
    code, _, stderr, out = optimizers
    assert code == 0, stderr
    for name in OPTIMIZERS:
        compared = _records(out / name / "metrics.jsonl")
        assert {r["run"] for r in compared} == {name} and compared[-1]["type"] == "end"
        alone_code, _, alone_err = playground("run", "default", "--set", f"optim.name={name}", "--epochs", "5",
                                              "--out", name, "--quiet")
        assert alone_code == 0, alone_err
        alone = _records(tmp_path / name / "metrics.jsonl")
        assert [r["epoch"] for r in _epochs(compared)] == [r["epoch"] for r in _epochs(alone)] == [0, 1, 2, 3, 4, 5]
        for mine, theirs in zip(_epochs(compared), _epochs(alone)):
            for key in EPOCH_FIGURES:
                assert abs(mine[key] - theirs[key]) <= 1e-6, (name, mine["epoch"], key, mine[key], theirs[key])
        steps = [x for r in compared if r["type"] == "steps" for x in r["loss"]]
        assert steps == pytest.approx([x for r in alone if r["type"] == "steps" for x in r["loss"]], abs=1e-6)
        spec = json.loads((out / name / "spec.json").read_text())
        assert spec["optim"]["name"] == name and spec["train"]["epochs"] == 5
    finals = {name: _epochs(_records(out / name / "metrics.jsonl"))[-1] for name in OPTIMIZERS}
    assert finals["momentum"]["train_loss"] < finals["sgd"]["train_loss"]  # they differ: each got its optimizer


def test_the_table_has_each_runs_final_figures_and_the_speed_up(optimizers):
    _, stdout, _, out = optimizers
    lines = stdout.splitlines()
    assert lines[0].split() == ["run", "train", "loss", "val", "loss", "train", "acc", "val", "acc", "seconds", "end"]
    for line, name in zip(lines[1:7], OPTIMIZERS):
        final = _epochs(_records(out / name / "metrics.jsonl"))[-1]
        cells = line.split()
        assert cells[0] == name and cells[-1] == "completed"
        assert float(cells[1]) == pytest.approx(final["train_loss"], rel=1e-3)
        assert cells[4] == f"{100 * final['val_acc']:.1f}%"
    assert lines[7].startswith("6 runs in ") and "on 2 worker(s); one after another they take" in lines[7]


def test_the_plot_is_a_png_with_a_curve_of_each_runs_colour(optimizers):
    out = optimizers[3]
    with Image.open(out / "compare.png") as image:
        assert image.format == "PNG" and image.size == (900, 560)
        pixels = image.convert("RGB")
        colours = {colour for _, colour in pixels.getcolors(900 * 560)}
    assert len(colours) > 100  # not blank
    for hex_colour in RUN_COLORS[:len(OPTIMIZERS)]:
        rgb = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
        assert rgb in colours, hex_colour


def test_workers_do_not_change_the_numbers(optimizers):
    out = optimizers[3]
    runs = vary(load_experiment("default").with_changes({"train.epochs": 5}), "optim.name", OPTIMIZERS)
    streamed = []
    result = run_comparison(runs, workers=1, on_record=streamed.append)
    assert [r.name for r in result.runs] == OPTIMIZERS and result.workers == 1
    for run in result.runs:
        two_workers = _records(out / run.name / "metrics.jsonl")
        assert [{k: r[k] for k in EPOCH_FIGURES} for r in run.epochs] == \
               [{k: r[k] for k in EPOCH_FIGURES} for r in _epochs(two_workers)]
        assert run.records == [r for r in streamed if r["run"] == run.name]  # streamed as made, in order
        assert run.end["reason"] == "completed" and run.seconds > 0
    assert result.run_seconds == pytest.approx(sum(r.seconds for r in result.runs))
    assert result.speedup == pytest.approx(result.run_seconds / result.seconds)


def test_stop_ends_the_runs_under_way_and_keeps_what_arrived():
    runs = vary(load_experiment("default").with_changes({"train.epochs": 1000}), "optim.lr", ["0.01", "0.03"])
    stop = threading.Event()
    started = time.monotonic()
    result = run_comparison(runs, on_record=lambda r: stop.set() if r["type"] == "epoch" and r["epoch"] == 2 else None,
                            stop=stop)
    assert time.monotonic() - started < 30  # 1000 epochs would take minutes
    assert all(not run.end for run in result.runs) and any(len(run.epochs) >= 3 for run in result.runs)


def test_two_specs_are_two_runs_named_by_their_files(playground, tmp_path):
    code, stdout, stderr = playground("compare", "lr_too_low", "lr_good", "--epochs", "2", "--quiet")
    assert code == 0, stderr
    out = tmp_path / "runs" / "compare-lr_too_low"
    finals = {}
    for name, lr in (("lr_too_low", 1e-4), ("lr_good", 0.1)):
        assert json.loads((out / name / "spec.json").read_text())["optim"]["lr"] == lr
        finals[name] = _epochs(_records(out / name / "metrics.jsonl"))[-1]
    assert finals["lr_good"]["val_acc"] > 0.8 > finals["lr_too_low"]["val_acc"]
    assert (out / "compare.png").exists() and "2 runs in " in stdout


def test_vary_names_runs_by_value_and_parses_json():
    runs = vary(load_experiment("default"), "optim.lr", ["0.003", "0.03", "0.03"])
    assert [name for name, _ in runs] == ["lr=0.003", "lr=0.03", "lr=0.03-2"]
    assert [exp.optim.lr for _, exp in runs] == [0.003, 0.03, 0.03]
    layers = vary(load_experiment("default"), "model.layers", split_values('[{"units": 8}],[{"units":2},{"units":2}]'))
    assert [len(exp.model.layers) for _, exp in layers] == [1, 2]


@pytest.mark.parametrize("args, message", [
    (["default", "--vary", "optim.name=sgd"], "a comparison has 2 to 8 runs, got 1"),
    (["default"], "a comparison has 2 to 8 runs, got 1"),
    (["default", "--vary", "optim.lr=1,2,3,4,5,6,7,8,9"], "a comparison has 2 to 8 runs, got 9"),
    (["default", "--vary", "optim.nme=sgd,adam"], "--vary optim.nme: unknown key; known keys are name, lr"),
    (["default", "--vary", "optim.name=sgd,adamm"], "run 'adamm': optim.name: unknown choice 'adamm'"),
    (["default", "--vary", "model.layers[0].units=4,0"], "run 'units=0': model.layers[0].units: must be >= 1, got 0"),
    (["default", "lr_good", "--set", "train.batch_size=-1"], "run 'default': train.batch_size: must be >= 0"),
    (["default", "lr_good", "--vary", "optim.lr=0.1,0.3"], "--vary varies one experiment, got 2"),
])
def test_bad_input_exits_2_with_one_line(playground, args, message):
    code, _, stderr = playground("compare", *args)
    assert code == 2
    (line,) = stderr.strip().splitlines()
    assert line.startswith("playground: error: ") and message in line


def test_the_window_can_plan_a_comparison_without_torch():
    probe = "import sys, playground.core.compare; print(sorted({'torch', 'PySide6'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def test_every_shipped_comparison_loads_with_2_to_8_runs():
    from playground.core.compare import comparison_names, load_comparison

    names = comparison_names()
    assert names == ["batchnorm_vs_none", "dropout_vs_none", "init_comparison", "lr_trio", "optimizer_race"]
    sizes = {name: len(load_comparison(name).runs) for name in names}
    assert sizes == {"batchnorm_vs_none": 2, "dropout_vs_none": 2, "init_comparison": 4, "lr_trio": 3,
                     "optimizer_race": 6}
    lrs = [exp.optim.lr for _, exp in load_comparison("lr_trio").runs]
    assert lrs == [0.0001, 0.1, 3]


def test_a_shipped_comparison_by_name_on_the_command_line(playground, tmp_path):
    code, stdout, stderr = playground("compare", "lr_trio", "--epochs", "1", "--out", str(tmp_path), "--quiet")
    assert code == 0, stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["lr=0.0001", "lr=0.1", "lr=3"]
    assert "diverged" in stdout.splitlines()[3]  # lr=3, the table's third run
    runs = read_runs([tmp_path / name / "metrics.jsonl" for name in ("lr=0.1", "lr=3")])
    assert [run.label for run in runs] == ["lr=0.1", "lr=3: diverged"]  # the PNG's legend: a line too short to see is named
    with Image.open(tmp_path / "compare.png") as image:  # and marked, up where its loss began (the legend is low)
        pixels = {image.getpixel((x, y))[:3] for x in range(0, image.width, 2) for y in range(0, image.height // 3)}
    assert tuple(int(RUN_COLORS[2][i:i + 2], 16) for i in (1, 3, 5)) in pixels

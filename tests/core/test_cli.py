"""The headless command line, as a user runs it."""

import json
import os
import subprocess
import sys

import pytest

from playground.core.checkpoint import load_checkpoint
from playground.core.spec import Experiment


def playground(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "playground", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_run_writes_metrics_resolved_spec_and_checkpoint(tmp_path):
    out = tmp_path / "run"
    result = playground("run", "default", "--epochs", "3", "--set", "model.layers[0].units=8",
                        "--set", "optim.name=adam", "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    assert "completed: trained 3 epochs" in result.stdout and "val_acc" in result.stdout
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records if r["type"] == "epoch"] == [0, 1, 2, 3]
    assert any(r["type"] == "probe" for r in records) and records[-1]["type"] == "end"
    spec = json.loads((out / "spec.json").read_text())
    assert spec["optim"]["lr"] == 1e-3 and spec["optim"]["betas"] == [0.9, 0.999]  # defaults filled in
    assert spec["model"]["layers"][0]["units"] == 8 and spec["train"]["epochs"] == 3
    assert spec["train"]["loss"] == "cross_entropy" and spec["data"]["n_samples"] == 500
    checkpoint = load_checkpoint(out / "checkpoint.safetensors")
    assert checkpoint.epoch == 3 and checkpoint.state_dict["dense1.layer.weight"].shape == (8, 2)


def test_run_from_weights_continues_where_the_checkpoint_left_off(tmp_path):
    assert playground("run", "default", "--epochs", "5", "--out", str(tmp_path / "a"), "--quiet").returncode == 0
    first = [json.loads(x) for x in (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()]
    result = playground("run", "default", "--epochs", "1", "--out", str(tmp_path / "b"), "--quiet",
                        "--weights", str(tmp_path / "a" / "checkpoint.safetensors"))
    assert result.returncode == 0, result.stderr
    second = [json.loads(x) for x in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    start = next(r for r in second if r["type"] == "epoch")
    end_of_first = [r for r in first if r["type"] == "epoch"][-1]
    assert start["train_loss"] == pytest.approx(end_of_first["train_loss"], rel=1e-6)


@pytest.mark.parametrize("args, message", [
    (["run", "default", "--set", "model.layers[1].units=0"], "model.layers[1].units: must be >= 1, got 0"),
    (["run", "no_such_preset"], "no experiment file or preset named 'no_such_preset'"),
    (["run", "default", "--set", "optim.name=adamm"], "optim.name: unknown choice 'adamm'"),
    (["run", "default", "--weights", "missing.safetensors"], "cannot read missing.safetensors"),
    (["export", "default", "-o", "x.py", "--set", "train.batch_size=-1"], "train.batch_size: must be >= 0"),
])
def test_bad_input_exits_2_with_one_clear_line(tmp_path, args, message):
    result = playground(*args, cwd=tmp_path)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("playground: error: ") and message in line


def test_bad_spec_file_is_reported_not_raised(tmp_path):
    (tmp_path / "broken.json").write_text('{"model": {"layers": [{"units": 4}, {"units": 0}]}}')
    (tmp_path / "notjson.json").write_text("{model")
    for name, message in (("broken.json", "model.layers[1].units: must be >= 1, got 0"), ("notjson.json", "not valid JSON")):
        result = playground("run", name, cwd=tmp_path)
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_divergence_ends_the_run_with_its_diagnosis_and_exit_3(tmp_path):
    (tmp_path / "hot.json").write_text(Experiment.from_dict(
        {"data": {"name": "plane"}, "model": {"activation": "relu"}, "optim": {"lr": 10}}).to_json())
    result = playground("run", "hot.json", "--quiet", cwd=tmp_path)
    assert result.returncode == 3
    assert "diverged" in result.stdout and "the learning rate 10 is too high for sgd" in result.stdout


def test_core_imports_no_qt():
    code = ("import sys, playground.core, playground.core.choices, playground.core.trainer, playground.cli;"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'PySide6', 'pyqtgraph', 'superqt', 'shiboken6'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "[]", result.stderr


def test_without_a_display_the_app_says_so_and_trains_headless(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run([sys.executable, "-m", "playground", "--preset", "xor_features"], capture_output=True,
                          text=True, cwd=tmp_path, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "no display here" in done.stderr and "completed: trained" in done.stdout
    assert (tmp_path / "runs" / "xor_features" / "metrics.jsonl").exists()

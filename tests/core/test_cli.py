"""The headless command line, as a user runs it: in this process (``main(argv)``), plus one smoke
test of the installed entry point in a process of its own."""

import json
import subprocess
import sys

import pytest

from playground.core.checkpoint import load_checkpoint
from playground.core.spec import Experiment


def test_the_entry_point_runs_in_a_process_of_its_own(tmp_path):
    done = subprocess.run([sys.executable, "-m", "playground", "run", "default", "--epochs", "1", "--quiet"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "completed: trained 1 epochs" in done.stdout and (tmp_path / "runs" / "default" / "metrics.jsonl").exists()


def test_run_writes_metrics_resolved_spec_and_checkpoint(playground, tmp_path):
    out = tmp_path / "run"
    code, stdout, stderr = playground("run", "default", "--epochs", "3", "--set", "model.layers[0].units=8",
                                      "--set", "optim.name=adam", "--out", str(out), "--quiet")
    assert code == 0, stderr
    assert "completed: trained 3 epochs" in stdout and "val_acc" in stdout
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records if r["type"] == "epoch"] == [0, 1, 2, 3]
    assert any(r["type"] == "probe" for r in records) and records[-1]["type"] == "end"
    assert {r["run"] for r in records} == {"run"}  # each record names its run
    spec = json.loads((out / "spec.json").read_text())
    assert spec["optim"]["lr"] == 1e-3 and spec["optim"]["betas"] == [0.9, 0.999]  # defaults filled in
    assert spec["model"]["layers"][0]["units"] == 8 and spec["train"]["epochs"] == 3
    assert spec["train"]["loss"] == "cross_entropy" and spec["data"]["n_samples"] == 500
    checkpoint = load_checkpoint(out / "checkpoint.safetensors")
    assert checkpoint.epoch == 3 and checkpoint.state_dict["dense1.layer.weight"].shape == (8, 2)


def test_run_from_weights_continues_where_the_checkpoint_left_off(playground, tmp_path):
    assert playground("run", "default", "--epochs", "5", "--out", "a", "--quiet")[0] == 0
    first = [json.loads(x) for x in (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()]
    code, _, stderr = playground("run", "default", "--epochs", "1", "--out", "b", "--quiet",
                                 "--weights", str(tmp_path / "a" / "checkpoint.safetensors"))
    assert code == 0, stderr
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
    (["run", "default", "--set", "data.n_samples=10000000"], "data.n_samples: at most 100000, got 10000000"),
])
def test_bad_input_exits_2_with_one_clear_line(playground, args, message):
    code, _, stderr = playground(*args)
    assert code == 2
    (line,) = stderr.strip().splitlines()
    assert line.startswith("playground: error: ") and message in line


def test_bad_spec_file_is_reported_not_raised(playground, tmp_path):
    (tmp_path / "broken.json").write_text('{"model": {"layers": [{"units": 4}, {"units": 0}]}}')
    (tmp_path / "notjson.json").write_text("{model")
    for name, message in (("broken.json", "model.layers[1].units: must be >= 1, got 0"), ("notjson.json", "not valid JSON")):
        code, _, stderr = playground("run", name)
        assert code == 2 and message in stderr and "Traceback" not in stderr


def test_divergence_ends_the_run_with_its_diagnosis_and_exit_3(playground, tmp_path):
    (tmp_path / "hot.json").write_text(Experiment.from_dict(
        {"data": {"name": "plane"}, "model": {"activation": "relu"}, "optim": {"lr": 10}}).to_json())
    code, stdout, _ = playground("run", "hot.json", "--quiet")
    assert code == 3
    assert "diverged" in stdout and "the learning rate 10 is too high for sgd" in stdout


def test_an_exploding_loss_is_said_in_the_terminal(playground):
    """Defect 8: a loss stuck near 1e9 trained '100 epochs' without a word."""
    code, stdout, stderr = playground("run", "default", "--set", "optim.lr=1e9", "--epochs", "10")
    assert code == 0
    assert "The loss is exploding" in stderr and "the learning rate 1e+09 is far too high for sgd" in stderr


def test_without_a_display_the_app_says_so_and_trains_headless(playground, monkeypatch, tmp_path):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    code, stdout, stderr = playground("--preset", "xor_features")
    assert code == 0, stderr
    assert "no display here" in stderr and "completed: trained" in stdout
    assert (tmp_path / "runs" / "xor_features" / "metrics.jsonl").exists()


def test_export_to_a_folder_that_does_not_exist_is_one_line(playground, tmp_path):
    target = tmp_path / "missing" / "train.py"
    code, stdout, stderr = playground("export", "default", "-o", str(target))
    assert code == 2 and stderr.strip() == f"playground: error: cannot write {target}: No such file or directory"

"""The exported script: standalone (torch, numpy, stdlib), and it prints the trainer's losses.

Every case is exported, and all scripts run in ONE subprocess (importing torch once keeps the file
fast): a small driver runs each script as ``__main__`` with ``--epochs 3`` while refusing any
``import playground``. The default script also runs on its own (``python -I script.py``) from a
temporary folder, and must print exactly what it printed under the driver. The trainer runs the
same experiments in-process; every epoch's losses (epoch 0 = the untrained network) must agree to
a relative 1e-5 (``math.isclose(script, trainer, rel_tol=1e-5, abs_tol=1e-12)``).
"""

from __future__ import annotations

import ast
import json
import math
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from playground.cli import main as cli_main
from playground.core.export import export_script
from playground.core.presets import load_experiment, preset_names
from playground.core.spec import Experiment, SpecError
from playground.core.trainer import Trainer

EPOCHS = 3
REL = 1e-5

CASES = {
    "default": {},
    "spiral_relu_adam_step_warmup": {
        "data": {"name": "spiral", "n_samples": 200, "noise": 0.1, "features": ["x1", "x2", "sin_x1", "sin_x2"]},
        "model": {"activation": "relu", "init": "kaiming_normal",
                  "layers": [{"units": 8}, {"units": 6, "activation": "leaky_relu"}]},
        "optim": {"name": "adam", "lr": 0.01},
        "schedule": {"name": "step", "gamma": 0.5, "step_epochs": 1, "warmup_epochs": 2},
        "train": {"batch_size": 16},
    },
    "plane_regression_features_standardize": {
        "data": {"name": "plane", "n_samples": 120, "noise": 0.1, "features": ["x1", "x2", "x1^2", "sin_x1"],
                 "preprocess": "standardize"},
        "model": {"activation": "elu", "layers": [{"units": 5}]},
        "schedule": {"name": "inverse_time", "k": 0.3},
        "train": {"loss": "mse", "batch_size": 8},
    },
    "xor_momentum_batchnorm_dropout_l1_l2_exponential": {
        "data": {"name": "xor", "n_samples": 160, "noise": 0.2, "preprocess": "center"},
        "model": {"norm": "batchnorm", "dropout": 0.2,
                  "layers": [{"units": 6}, {"units": 4, "dropout": 0.1, "norm": "layernorm"}]},
        "optim": {"name": "momentum", "lr": 0.05, "momentum": 0.8, "weight_decay": 0.001, "l1": 0.0005},
        "schedule": {"name": "exponential", "k": 0.2},
        "train": {"batch_size": 12},
    },
    "lbfgs_full_batch_l1_l2": {
        "data": {"name": "circle", "n_samples": 100, "features": ["x1^2", "x2^2", "x1*x2"]},
        "model": {"activation": "sigmoid", "init": "orthogonal", "layers": [{"units": 3}]},
        "optim": {"name": "lbfgs", "weight_decay": 0.001, "l1": 0.0001},
    },
    "digits_mlp_standardize": {
        "data": {"name": "digits", "preprocess": "standardize"},
        "model": {"activation": "relu", "init": "kaiming_uniform", "layers": [{"units": 16}]},
        "optim": {"name": "sgd", "lr": 0.05},
        "train": {"batch_size": 64},
    },
    "digits_cnn": {
        "data": {"name": "digits", "n_samples": 240, "preprocess": "standardize"},
        "model": {"activation": "relu", "init": "kaiming_normal", "norm": "layernorm", "layers": [
            {"type": "conv", "channels": 4}, {"type": "pool"},
            {"type": "conv", "channels": 4, "kernel": 2, "activation": "gelu"},
            {"type": "flatten"}, {"units": 8}]},
        "optim": {"name": "adam", "lr": 0.005},
        "train": {"batch_size": 32},
    },
    "moons_jitter": {
        "data": {"name": "moons", "n_samples": 120, "noise": 0.2, "augment": {"jitter": 0.3}},
        "model": {"init": "xavier_normal", "layers": [{"units": 5}]},
    },
    "digits_shift_flip_noise_dropout2d_adamw": {
        "data": {"name": "digits", "n_samples": 200, "preprocess": "standardize",
                 "augment": {"shift": 1, "flip": True, "noise": 0.2}},
        "model": {"layers": [{"type": "conv", "channels": 3, "dropout": 0.2, "norm": "batchnorm"}, {"units": 12}]},
        "optim": {"name": "adamw", "weight_decay": 0.01},
        "train": {"batch_size": 25},
    },
    "gauss_nesterov_cosine_warmup": {
        "data": {"name": "gauss", "n_samples": 100, "noise": 0.3},
        "model": {"activation": "linear", "init": "normal", "init_std": 0.3, "layers": [{"units": 3}]},
        "optim": {"name": "nesterov", "lr": 0.02},
        "schedule": {"name": "cosine", "warmup_epochs": 1},
        "train": {"batch_size": 7},
    },
    "multi_gauss_adagrad_full_batch_no_val": {
        "data": {"name": "multi_gauss", "n_samples": 120, "val_fraction": 0.0},
        "model": {"layers": [{"units": 6}, {"units": 4}]},
        "optim": {"name": "adagrad", "lr": 0.05, "eps": 1e-9},
        "train": {"batch_size": 0},
    },
    "circle_rmsprop_mse_classes": {
        "data": {"name": "circle", "n_samples": 120, "noise": 0.1, "features": ["x1", "x2", "x1^2", "x2^2"]},
        "model": {"layers": [{"units": 4, "init": "zeros"}, {"units": 3}]},
        "optim": {"name": "rmsprop", "lr": 0.01, "momentum": 0.5},
        "train": {"loss": "mse", "batch_size": 20},
    },
    "xor_reduction_sum": {
        "data": {"name": "xor", "n_samples": 100},
        "optim": {"name": "sgd", "lr": 0.003},
        "train": {"reduction": "sum", "batch_size": 10},
    },
    "plane_diverges": {  # the trainer stops at the same step, after the same epochs
        "data": {"name": "plane", "n_samples": 100},
        "model": {"activation": "linear", "layers": [{"units": 4}]},
        "optim": {"name": "sgd", "lr": 0.05},
        "train": {"reduction": "sum", "batch_size": 10},
    },
}

DRIVER = r'''
import contextlib, io, json, runpy, sys, traceback


class NoPlayground:
    """Refuse ``import playground``: an exported script must not need the project."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "playground":
            raise ImportError(f"the exported script imported {name}")
        return None


sys.meta_path.insert(0, NoPlayground())
results = {}
for path, args in json.loads(sys.argv[1]).items():  # each script with its own arguments
    out = io.StringIO()
    sys.argv = [path, *args]
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(path, run_name="__main__")
        code = "no exit"
    except SystemExit as e:
        code = e.code
    except BaseException:
        code = traceback.format_exc()
    results[path] = {"stdout": out.getvalue(), "code": code}
print(json.dumps(results))
'''

STANDALONE_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OMP_NUM_THREADS": "1"}


def experiment(name: str, epochs: int = EPOCHS) -> Experiment:
    exp = Experiment.from_dict(CASES[name])
    return exp.with_overrides([f"train.epochs={epochs}", "train.device=cpu"])


def trainer_run(exp: Experiment) -> tuple[list[dict], dict]:
    """The trainer's epoch records and its end record."""
    records: list[dict] = []
    end = Trainer(exp, records.append).run()
    return [r for r in records if r["type"] == "epoch"], end


def parse_epochs(stdout: str) -> list[dict]:
    """``epoch 3 train_loss 0.53 val_loss ... lr 0.03`` lines as dicts."""
    rows = []
    for line in stdout.splitlines():
        if line.startswith("epoch "):
            words = line.split()
            row = {"epoch": int(words[1])}
            row.update({key: float(value) for key, value in zip(words[2::2], words[3::2])})
            rows.append(row)
    return rows


def assert_matches(script_rows: list[dict], records: list[dict], rel: float = REL) -> None:
    assert [r["epoch"] for r in script_rows] == [r["epoch"] for r in records]
    for row, record in zip(script_rows, records):
        for key in ("train_loss", "val_loss"):
            if record[key] is None:
                assert key not in row
                continue
            assert math.isclose(row[key], record[key], rel_tol=rel, abs_tol=1e-12), (key, row, record)
        for key in ("train_acc", "val_acc"):
            if record[key] is not None:
                assert abs(row[key] - record[key]) <= 1e-4 + rel, (key, row, record)  # printed with 4 decimals
        assert math.isclose(row["lr"], record["lr"], rel_tol=1e-5), (row, record)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Both sides on one thread: small runs are faster, and the float sums are ordered alike."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def scripts(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("exported")
    paths = {}
    for name in CASES:
        paths[name] = folder / f"{name}.py"
        paths[name].write_text(export_script(experiment(name)), encoding="utf-8")
    return paths


@pytest.fixture(scope="module")
def outputs(scripts, tmp_path_factory) -> dict[str, dict]:
    """Every script run once, in one subprocess, from an empty folder, with playground unimportable."""
    cwd = tmp_path_factory.mktemp("run")
    driver = cwd / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    arguments = {str(path): ["--epochs", str(EPOCHS)] for path in scripts.values()}
    done = subprocess.run([sys.executable, "-I", str(driver), json.dumps(arguments)],
                          cwd=cwd, env=STANDALONE_ENV, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout)
    return {name: results[str(path)] for name, path in scripts.items()}


# -- the numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_script_prints_the_trainers_losses(name, outputs):
    result = outputs[name]
    records, end = trainer_run(experiment(name))
    if end["reason"] == "diverged":
        assert result["code"] == 3, result
        assert re.search(rf"loss diverged \(became (inf|nan)\) at step {end['step']},", result["stdout"]), result
    else:
        assert end["reason"] == "completed" and result["code"] == 0, (end, result)
    assert_matches(parse_epochs(result["stdout"]), records)


def test_default_script_runs_alone_from_an_empty_folder_and_prints_the_same(scripts, outputs, tmp_path):
    done = subprocess.run([sys.executable, "-I", str(scripts["default"]), "--epochs", str(EPOCHS)],
                          cwd=tmp_path, env=STANDALONE_ENV, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout == outputs["default"]["stdout"]
    assert len(parse_epochs(done.stdout)) == EPOCHS + 1


# -- standalone and readable -----------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_script_imports_only_torch_numpy_and_the_standard_library(name, scripts):
    tree = ast.parse(scripts[name].read_text(encoding="utf-8"))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0
            modules.add(node.module.split(".")[0])
    assert modules <= {"torch", "numpy"} | set(sys.stdlib_module_names), modules
    assert "playground" not in modules


def test_default_script_reads_like_hand_written_code(scripts):
    text = scripts["default"].read_text(encoding="utf-8")
    for expected in [
        "dense1=nn.Sequential(OrderedDict(", "layer=nn.Linear(2, 4),", "act=nn.Tanh(),", "out=nn.Linear(2, 2),",
        "nn.init.xavier_uniform_(net.dense1.layer.weight)", "nn.init.zeros_(net.out.bias)",
        "torch.optim.SGD(net.parameters(), lr=LR)", "def circle(n_samples", "def split_indices(",
        "torch.randperm(len(x_train), generator=batch_order", "torchrun --nproc_per_node=2 train.py",
        'dist.init_process_group("gloo")', "DistributedDataParallel(net)", "dist.barrier()",
    ]:
        assert expected in text, expected
    assert "registry" not in text.lower() and "INITIALIZERS" not in text
    assert max(len(line) for line in text.splitlines()) <= 120


def test_the_header_holds_the_experiment_json(scripts):
    lines = scripts["spiral_relu_adam_step_warmup"].read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if "remove the leading" in line) + 1
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("#"))
    raw = json.loads("\n".join(line[2:] for line in lines[start:end]))
    assert Experiment.from_dict(raw).to_dict() == experiment("spiral_relu_adam_step_warmup").to_dict()


def test_digits_are_embedded_at_the_end_and_the_script_stays_small(scripts):
    text = scripts["digits_cnn"].read_text(encoding="utf-8")
    assert text.index("def main(") < text.index('DIGITS = """') < text.index('if __name__ == "__main__":')
    assert len(text.encode("utf-8")) < 80_000
    for expected in ['layer=nn.Conv2d(1, 4, 3, padding="same"),', "norm=nn.GroupNorm(1, 4),",
                     "pool1=nn.MaxPool2d(2),", "layer=nn.Conv2d(4, 4, 2),", "act=nn.GELU(),", "flatten1=nn.Flatten(),",
                     'nn.init.kaiming_normal_(net.conv1.layer.weight, nonlinearity="relu")']:
        assert expected in text, expected


def test_special_paths_are_written_where_they_are_needed(scripts):
    lbfgs = scripts["lbfgs_full_batch_l1_l2"].read_text(encoding="utf-8")
    assert "def closure()" in lbfgs and "loss = loss + l2_penalty(model)" in lbfgs and "randperm" not in lbfgs
    assert 'line_search_fn="strong_wolfe"' in lbfgs and "history_size=10" in lbfgs
    xor = scripts["xor_momentum_batchnorm_dropout_l1_l2_exponential"].read_text(encoding="utf-8")
    assert "weight_decay=WEIGHT_DECAY" in xor and "l1_penalty(model)" in xor and "l2_penalty" not in xor
    assert "nn.BatchNorm1d(6)" in xor and "nn.Dropout(0.1)" in xor
    assert "def exponential_decay(" in xor and "return exponential_decay(epoch, epochs, k=0.2)" in xor
    warm = scripts["spiral_relu_adam_step_warmup"].read_text(encoding="utf-8")
    assert "return (epoch + 1) / 2" in warm and "step_decay(epoch - 2, epochs - 2, gamma=0.5, step_epochs=1)" in warm
    augmented = scripts["digits_shift_flip_noise_dropout2d_adamw"].read_text(encoding="utf-8")
    assert "def random_shift(" in augmented and "def random_flip(" in augmented and "def add_noise(" in augmented
    assert "manual_seed(args.seed + 1)" in augmented and "augment(" not in scripts["default"].read_text()


# -- torchrun --------------------------------------------------------------------------------------


def torchrun() -> list[str]:
    beside = Path(sys.executable).parent / "torchrun"
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "torch.distributed.run"]


@pytest.mark.parametrize("name", ["default", "digits_cnn"])
def test_torchrun_two_processes_prints_once_and_matches_one_process(name, scripts, tmp_path):
    """Not skipped anywhere: gloo runs on the CPU. Rank 0 alone prints; with no dropout or batch norm
    the data-parallel run follows the single-process numbers up to float summation order."""
    epochs = 2
    # 127.0.0.1 and the loopback device by name: a bare machine may not resolve "localhost" or its hostname
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = subprocess.run([*torchrun(), "--nnodes=1", "--nproc_per_node=2", "--master_addr=127.0.0.1",
                           f"--master_port={port}", str(scripts[name]), "--epochs", str(epochs)], cwd=tmp_path,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": "lo"},
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-3000:])
    rows = parse_epochs(done.stdout)
    assert [r["epoch"] for r in rows] == list(range(epochs + 1))  # once each: rank 0 only
    assert "training on 2 processes" in done.stdout
    assert_matches(rows, trainer_run(experiment(name, epochs))[0], rel=1e-4)


# -- the CLI and what cannot be exported -----------------------------------------------------------


@pytest.mark.parametrize("name", preset_names())
def test_every_shipped_preset_exports(name):
    """Export checks its own data, weights, optimizer, schedule, loss and augmentation against the
    playground's before it returns, so exporting is a real test of each preset."""
    assert "def main()" in export_script(load_experiment(name))


def test_cli_writes_the_script(tmp_path, capsys):
    out = tmp_path / "train.py"
    assert cli_main(["export", "default", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == export_script(load_experiment("default"))
    assert "torchrun" in capsys.readouterr().out


def test_a_choice_written_wrongly_is_caught_before_any_script_exists(monkeypatch):
    """The exporter runs the script's definitions against the playground's own: if it wrote another
    init call than the model builder makes, the export fails instead of writing other weights."""
    import playground.core.export.network as export

    written = export._init_call
    monkeypatch.setattr(export, "_init_call", lambda ctx, plan, weight: written(ctx, plan, weight).replace(
        "xavier_uniform_", "xavier_normal_"))
    with pytest.raises(SpecError, match="initial weights would differ"):
        export_script(Experiment.from_dict({}))

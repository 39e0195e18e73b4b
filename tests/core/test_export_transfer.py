"""The exported script of a transfer run prints the trainer's losses.

The transfer presets (glyph classes 30-39 from a few examples on the shipped glyphs_cnn backbone:
linear probe, two phases of fine-tuning everything, from scratch, the top block, the sample folder)
and an ImageNet backbone (mobilenet_v3_small with random weights saved in a temporary torch hub
cache, its registry entry's checksum set to that file's, on a folder of 8 small PNGs made here) are
exported, shortened; every script runs in ONE subprocess (torch is imported once) with playground
unimportable, and every epoch's losses must agree with the trainer's to a relative 1e-5.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from playground.core import imagenet
from playground.core.backbones import BACKBONES
from playground.core.download import sha256_of
from playground.core.export import export_script
from playground.core.paths import resources_dir
from playground.core.presets import load_experiment
from playground.core.spec import Experiment, SpecError
from playground.core.trainer import Trainer
from tests.core.test_export import DRIVER, assert_matches, parse_epochs

GLYPHS = ["train.epochs=6", "train.device=cpu", "data.n_samples=800"]  # 20 of each of the 10 classes
PRESETS = {
    "transfer_linear_probe": GLYPHS,
    "transfer_fine_tune_all": [*GLYPHS, "transfer.head_epochs=3"],
    "transfer_scratch": GLYPHS,
    "transfer_fine_tune_top": GLYPHS,
    "transfer_folder": ["train.epochs=6", "train.device=cpu"],
}
MOBILENET = "mobilenet_v3_small"



def make_folder(root: Path) -> Path:
    """2 classes x 4 RGB PNGs of assorted sizes (wide, tall, square), noise over a class colour."""
    from PIL import Image

    rng = np.random.default_rng(7)
    for c, (name, colour) in enumerate([("cats", (200, 60, 40)), ("dogs", (40, 90, 210))]):
        (root / name).mkdir(parents=True)
        for i, (w, h) in enumerate([(40, 30), (30, 44), (36, 36), (50, 28)]):
            pixels = np.clip(rng.normal(colour, 50, (h, w, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / name / f"{name}_{i}.png")
    return root


def random_mobilenet() -> torch.nn.Module:
    """Fresh weights, its batch norms' statistics measured on random images: fresh statistics (0, 1)
    would hand the head features of about 1e-8, and every loss would be log 2."""
    torch.manual_seed(123)
    model = imagenet.mobilenet_v3_small()
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = None  # a plain average of the batches seen
            module.reset_running_stats()
    with torch.no_grad():
        model.train()(torch.randn(4, 3, 160, 160))
    return model


def mobilenet_experiment(folder: Path) -> Experiment:
    return Experiment.from_dict({
        "data": {"name": "folder", "path": str(folder), "preprocess": "imagenet"},
        "model": {"layers": []},
        "optim": {"name": "adam", "lr": 0.01},
        "train": {"epochs": 2, "batch_size": 0, "device": "cpu"},
        "transfer": {"backbone": MOBILENET, "strategy": "linear_probe"},
    })


def trainer_epochs(exp: Experiment) -> list[dict]:
    records: list[dict] = []
    end = Trainer(exp, records.append).run()
    assert end["reason"] == "completed", end
    return [r for r in records if r["type"] == "epoch"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """Everything exported (the ImageNet case with its registry entry patched and TORCH_HOME in a
    temporary folder, which stay so for the module's tests) and run once in one subprocess."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # both sides on one thread: fast for small runs, sums ordered alike
    root = tmp_path_factory.mktemp("transfer")
    home = root / "torch"
    weights = home / "hub" / "checkpoints" / BACKBONES[MOBILENET].weights.name
    weights.parent.mkdir(parents=True)
    torch.save(random_mobilenet().state_dict(), weights)
    entry = BACKBONES.entry(MOBILENET)
    file = dataclasses.replace(entry.value.weights, sha256=sha256_of(weights), size=weights.stat().st_size)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TORCH_HOME", str(home))
        mp.setitem(BACKBONES._entries, MOBILENET,
                   dataclasses.replace(entry, value=dataclasses.replace(entry.value, weights=file)))
        experiments = {name: load_experiment(name).with_overrides(sets) for name, sets in PRESETS.items()}
        experiments[MOBILENET] = mobilenet_experiment(make_folder(root / "photos"))
        scripts = {}
        for name, exp in experiments.items():
            scripts[name] = root / f"{name}.py"
            scripts[name].write_text(export_script(exp), encoding="utf-8")
        # the sample folder's script reads a copy of it, named on the command line
        copy = shutil.copytree(resources_dir() / "sample_folder", root / "copy of the sample")
        args = {str(path): [] for path in scripts.values()}
        args[str(scripts["transfer_folder"])] = ["--data", str(copy)]
        done = subprocess.run([sys.executable, "-I", "-c", DRIVER, json.dumps(args)], cwd=root,
                              env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OMP_NUM_THREADS": "1",
                                   "TORCH_HOME": str(home)},
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        results = json.loads(done.stdout)
        outputs = {name: results[str(path)] for name, path in scripts.items()}
        yield experiments, scripts, outputs, file
    torch.set_num_threads(threads)


@pytest.mark.parametrize("name", [*PRESETS, MOBILENET])
def test_script_prints_the_trainers_losses(name, setup):
    experiments, _, outputs, _ = setup
    result = outputs[name]
    assert result["code"] == 0, result
    rows = parse_epochs(result["stdout"])
    assert len(rows) == experiments[name].train.epochs + 1
    assert_matches(rows, trainer_epochs(experiments[name]))


def test_the_two_phase_script_opens_the_backbone_at_head_epochs(setup):
    _, scripts, outputs, _ = setup
    stdout = outputs["transfer_fine_tune_all"]["stdout"]
    assert "phase two from epoch 3: conv1, conv2, dense1 open at 0.1x the LR" in stdout
    text = scripts["transfer_fine_tune_all"].read_text(encoding="utf-8")
    assert "optimizer = make_optimizer(param_groups(net))  # afresh" in text and "x_train, x_val = images" in text
    for name in ("transfer_linear_probe", "transfer_folder", MOBILENET):  # one phase, features cached
        text = scripts[name].read_text(encoding="utf-8")
        assert "net.features_cached = True" in text and "if not phase_two" not in text, name
    assert "features_cached" not in scripts["transfer_scratch"].read_text(encoding="utf-8").split("def main(")[1]


def test_scripts_read_their_backbone_and_data_themselves(setup):
    _, scripts, _, file = setup
    probe = scripts["transfer_linear_probe"].read_text(encoding="utf-8")
    shipped = resources_dir() / "backbones" / "glyphs_cnn.safetensors"
    for expected in [f"BACKBONE_FILE = {json.dumps(str(shipped))}", "source.load_state_dict(load_file(backbone_file))",
                     "def build_source_network()", "out=nn.Linear(64, 30),", "def glyphs(", "GLYPH_CLASSES = 40",
                     "CLASSES = [30, 31, 32, 33, 34, 35, 36, 37, 38, 39]", "def per_class_split(",
                     "class TransferNet(nn.Sequential):", 'parser.add_argument("--backbone"']:
        assert expected in probe, expected
    scratch = scripts["transfer_scratch"].read_text(encoding="utf-8")
    assert "load_file" not in scratch and "BACKBONE_FILE" not in scratch and "safetensors" not in scratch
    folder = scripts["transfer_folder"].read_text(encoding="utf-8")
    assert f"DATA_PATH = {json.dumps(str(resources_dir() / 'sample_folder'))}" in folder
    assert "def _read_image(" in folder and "IMAGE_CHANNELS = 1" in folder and "IMAGE_SIZE = 16" in folder
    mobile = scripts[MOBILENET].read_text(encoding="utf-8")
    for expected in ["class MobileNetV3(nn.Module):", "class InvertedResidual(nn.Module):", "def backbone_blocks(",
                     f'WEIGHTS_SHA256 = "{file.sha256}"',
                     'os.path.join(torch.hub.get_dir(), "checkpoints", WEIGHTS_FILE)',
                     'torch.load(path, map_location="cpu", weights_only=True)', 'fit_preprocess("imagenet"']:
        assert expected in mobile, expected
    assert "class ResNet18" not in mobile


@pytest.mark.parametrize("name", [*PRESETS, MOBILENET])
def test_script_imports_only_what_it_needs(name, setup):
    _, scripts, _, _ = setup
    modules = set()
    for node in ast.walk(ast.parse(scripts[name].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            modules.add(node.module.split(".")[0])
    allowed = {"torch", "numpy"} | set(sys.stdlib_module_names)
    allowed |= {"safetensors"} if name not in ("transfer_scratch", MOBILENET) else set()
    allowed |= {"PIL"} if name in ("transfer_folder", MOBILENET) else set()
    assert modules <= allowed, modules - allowed


def test_torchrun_is_refused_with_a_message(setup, monkeypatch, capsys):
    _, scripts, _, _ = setup
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setattr(sys, "argv", [str(scripts["transfer_linear_probe"])])
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(str(scripts["transfer_linear_probe"]), run_name="__main__")
    assert stop.value.code == 2
    assert "torchrun (data parallel) is not supported" in capsys.readouterr().err


def test_what_cannot_be_reproduced_is_refused_naming_the_field():
    exp = load_experiment("transfer_fine_tune_all").with_overrides([*GLYPHS, "optim.name=lbfgs"])
    with pytest.raises(SpecError) as error:
        export_script(exp)
    assert error.value.path == "optim.name"

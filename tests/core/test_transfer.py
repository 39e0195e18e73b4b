"""Transfer learning end to end: frozen blocks that really stay frozen (batch-norm statistics too),
optimizer groups with the LRs the spec asks for, two phases, cached features for the linear probe,
the same head for every strategy, the designed glyph pair (probe beats scratch), a broken folder, and
the ImageNet path with weights served from 127.0.0.1 as the real download would be.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from playground import cli
from playground.core import imagenet
from playground.core import trainer as trainer_module
from playground.core.backbones import BACKBONES, backbones_dir
from playground.core.bench import CACHE_SPEEDUP_TARGET, frozen_imagenet_net, run_transfer_bench
from playground.core.checkpoint import load_checkpoint, save_checkpoint
from playground.core.presets import load_experiment
from playground.core.schedules import lr_factor
from playground.core.errors import SpecError
from playground.core.spec import Experiment
from playground.core.trainer import Trainer

NEW_GLYPHS = list(range(30, 40))  # classes the shipped glyphs_cnn never saw


def epochs_of(records):
    return [r for r in records if r["type"] == "epoch"]


def run(exp: Experiment, **kwargs) -> tuple[Trainer, list[dict]]:
    records: list[dict] = []
    trainer = Trainer(exp, records.append, **kwargs)
    end = trainer.run()
    assert end["reason"] == "completed", end["message"]
    return trainer, records


def glyph_transfer(changes: dict | None = None) -> Experiment:
    """A few-shot transfer run on the new glyph classes with the shipped backbone (small and fast)."""
    exp = Experiment.from_dict({
        "data": {"name": "glyphs", "n_samples": 800, "classes": NEW_GLYPHS, "per_class": 5},
        "model": {"layers": []},
        "optim": {"name": "adam", "lr": 0.01},
        "train": {"epochs": 3, "batch_size": 0, "probe_every": 0},
        "transfer": {"backbone": "glyphs_cnn", "strategy": "linear_probe"},
    })
    return exp.with_changes(changes or {})


def head_parameters(net) -> set[int]:
    """The head's blocks: every child after the backbone (``head_dense1``, ..., ``out``)."""
    return {id(p) for name, child in net.named_children() if name not in net.backbone for p in child.parameters()}


def snapshot(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Every parameter and buffer (running_mean, running_var, num_batches_tracked), copied."""
    return {name: t.detach().clone() for name, t in module.state_dict(keep_vars=False).items()}


def trainable(trainer: Trainer) -> dict[int, str]:
    return {id(p): name for name, p in trainer.net.named_parameters() if p.requires_grad}


def groups_by_param(trainer: Trainer) -> dict[int, list[str]]:
    """Each parameter's optimizer groups, by group name (a parameter may appear in one only)."""
    found: dict[int, list[str]] = {}
    for group in trainer.optimizer.param_groups:
        for p in group["params"]:
            found.setdefault(id(p), []).append(group["name"])
    return found


# -- 1. frozen means frozen, batch-norm statistics included -------------------------------------------

@pytest.fixture(scope="module")
def bn_checkpoint(tmp_path_factory) -> Path:
    """A playground run with batch norm in every conv and dense block, trained one epoch on glyph
    classes 0-9 and saved as Save and `playground run` save it: a backbone with BN statistics."""
    exp = Experiment.from_dict({
        "data": {"name": "glyphs", "n_samples": 800, "classes": list(range(10)), "val_fraction": 0.25},
        "model": {"activation": "relu", "norm": "batchnorm",
                  "layers": [{"type": "conv", "channels": 8}, {"type": "pool"}, {"type": "conv", "channels": 8},
                             {"type": "pool"}, {"type": "dense", "units": 16}]},
        "optim": {"name": "adam"},
        "train": {"epochs": 1, "batch_size": 25, "probe_every": 0},
    })
    trainer, _ = run(exp)
    path = tmp_path_factory.mktemp("bn") / "bn_backbone.safetensors"
    save_checkpoint(path, trainer.exp, trainer.net, trainer.epoch, trainer.step)
    return path


def bn_transfer(path: Path, strategy: str, shift: int, head_epochs: int) -> Experiment:
    return Experiment.from_dict({
        "data": {"name": "glyphs", "n_samples": 400, "classes": NEW_GLYPHS, "per_class": 4,
                 "augment": {"shift": shift}},
        "model": {"layers": []},
        "optim": {"name": "adam", "lr": 0.01},
        "train": {"epochs": 3, "batch_size": 8, "probe_every": 1},  # probes watch the frozen blocks too
        "transfer": {"backbone": "checkpoint", "path": str(path), "strategy": strategy, "open_blocks": 1,
                     "head_epochs": head_epochs},
    })


@pytest.mark.parametrize("strategy, shift, head_epochs", [
    ("fine_tune_top", 1, 0),  # augmented: no cache, the frozen blocks run in every step
    ("fine_tune_top", 1, 1),  # two phases, the top block opens at epoch 1
    ("linear_probe", 0, 1),  # cached features, two phases (phase two opens nothing)
    ("linear_probe", 1, 0),  # augmented linear probe: the whole backbone runs every step, frozen
])
def test_frozen_parameters_and_batchnorm_statistics_stay_bit_identical(bn_checkpoint, strategy, shift, head_epochs):
    exp = bn_transfer(bn_checkpoint, strategy, shift, head_epochs)
    records: list[dict] = []
    trainer = Trainer(exp, records.append)
    net = trainer.net
    saved = load_checkpoint(bn_checkpoint).state_dict
    backbone = list(net.backbone)
    assert backbone == ["conv1", "pool1", "conv2", "pool2", "flatten1", "dense1"]
    before = {name: snapshot(net._modules[name]) for name in backbone}
    for name in ("conv1", "conv2", "dense1"):  # the checkpoint's weights and statistics, as saved
        for key, value in before[name].items():
            assert torch.equal(value, saved[f"{name}.{key}"]), f"{name}.{key}"
    assert any(k.endswith("num_batches_tracked") and int(v) > 0 for k, v in before["conv1"].items())

    opened = ["dense1"] if strategy == "fine_tune_top" else []
    frozen = [name for name in backbone if name not in opened]

    # a caller that puts the whole net in train mode must not wake the frozen blocks
    assert net.frozen == (backbone if head_epochs else frozen)  # phase one of two: the whole backbone
    net.train()
    for name, child in net.named_children():
        assert all(m.training == (name not in net.frozen) for m in child.modules()), name

    # every time a frozen batch norm runs, it runs in eval mode
    modes: dict[str, list[bool]] = {name: [] for name in frozen}
    handles = []
    for name in frozen:
        for module in net._modules[name].modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                handles.append(module.register_forward_pre_hook(
                    lambda m, args, name=name: modes[name].append(m.training)))
    end = trainer.run()
    for handle in handles:
        handle.remove()
    assert end["reason"] == "completed", end["message"]
    assert trainer.epoch == 3

    cached = shift == 0 and not opened
    assert net.features_cached is cached
    assert tuple(trainer.x_train.shape) == ((40, 16) if cached else (40, 1, 16, 16))
    if shift:  # no cache: the frozen blocks really ran, in every step, in eval mode
        steps = trainer.step
        for name in ("conv1", "conv2"):
            assert len(modes[name]) >= steps and not any(modes[name]), name
    else:
        assert not any(any(m) for m in modes.values())

    net.train()  # after training too
    after = {name: snapshot(net._modules[name]) for name in backbone}
    for name in frozen:
        assert not net._modules[name].training
        for key, value in before[name].items():
            assert torch.equal(after[name][key], value), f"frozen {name}.{key} changed"
            assert value.dtype == after[name][key].dtype
    for name in opened:
        changed = [key for key, value in before[name].items() if not torch.equal(after[name][key], value)]
        # weights, biases, BN scale/shift and its running statistics: the open block trains in train mode
        assert sorted(changed) == sorted(before[name]), f"unchanged in the open block: " \
                                                        f"{sorted(set(before[name]) - set(changed))}"
    probes = [r for r in records if r["type"] == "probe"]
    if not cached:  # with cached features the probes watch the head only, here without hidden blocks
        assert len(probes) == trainer.step and all(r["layers"] for r in probes)


# -- 2. optimizer groups and two phases ----------------------------------------------------------------

LR = 0.01
STEP_SCHEDULE = {"schedule.name": "step", "schedule.gamma": 0.5, "schedule.step_epochs": 1}


@pytest.mark.parametrize("strategy, open_blocks, opened, scale", [
    ("linear_probe", 1, [], None),
    ("fine_tune_top", 1, ["dense1"], 0.25),
    ("fine_tune_top", 2, ["conv2", "dense1"], 0.25),
    ("fine_tune_all", 1, ["conv1", "conv2", "dense1"], 0.25),
    ("scratch", 1, ["conv1", "conv2", "dense1"], 1.0),  # fresh weights: everything at the base LR
])
def test_each_trainable_parameter_is_in_exactly_one_group_at_the_asked_lr(strategy, open_blocks, opened, scale):
    exp = glyph_transfer({"transfer.strategy": strategy, "transfer.open_blocks": open_blocks,
                          "transfer.backbone_lr": 0.25, "optim.lr": LR, **STEP_SCHEDULE})
    trainer, records = run(exp)
    net = trainer.net
    expected = {id(p) for name in opened for p in net._modules[name].parameters()}
    expected |= head_parameters(net)
    assert set(trainable(trainer)) == expected
    groups = groups_by_param(trainer)
    assert set(groups) == expected  # frozen parameters are in no group
    assert all(len(names) == 1 for names in groups.values()), "a parameter is in two groups"
    for name, p in net.named_parameters():
        assert p.requires_grad == (id(p) in expected), name

    # the LR of the last epoch (index 2) with the schedule's factor: 0.5 ** 2
    factor = lr_factor(exp.schedule, 2, exp.train.epochs)
    assert factor == 0.25
    lrs = {g["name"]: g["lr"] for g in trainer.optimizer.param_groups}
    assert lrs["head"] == pytest.approx(LR * factor, rel=1e-12)
    if opened:
        assert lrs["backbone"] == pytest.approx(LR * factor * scale, rel=1e-12)
        backbone_group = next(g for g in trainer.optimizer.param_groups if g["name"] == "backbone")
        assert {id(p) for p in backbone_group["params"]} == expected - head_parameters(net)
    else:
        assert list(lrs) == ["head"]
    assert [r["lr"] for r in epochs_of(records)[1:]] == pytest.approx([LR, LR / 2, LR / 4])


def test_phase_two_opens_the_blocks_and_rebuilds_the_optimizer():
    exp = glyph_transfer({"transfer.strategy": "fine_tune_top", "transfer.open_blocks": 1,
                          "transfer.head_epochs": 2, "transfer.backbone_lr": 0.1, "train.epochs": 4})
    records: list[dict] = []
    seen: dict = {}

    def on_record(record):
        records.append(record)
        if record["type"] == "phase":  # sent as phase two starts, before its first step
            seen["dense1"] = snapshot(net.dense1)
            seen["optimizer"] = trainer.optimizer
            seen["cached"] = net.features_cached

    trainer = Trainer(exp, on_record)
    net = trainer.net
    dense1 = snapshot(net.dense1)
    first = trainer.optimizer
    assert [g["name"] for g in first.param_groups] == ["head"]
    assert {id(p) for p in first.param_groups[0]["params"]} == head_parameters(net)
    assert not any(p.requires_grad for name in net.backbone for p in net._modules[name].parameters())
    assert net.features_cached  # phase one: the whole backbone is frozen, so the head trains on features
    end = trainer.run()
    assert end["reason"] == "completed"

    phases = [r for r in records if r["type"] == "phase"]
    assert len(phases) == 1
    phase = phases[0]
    assert phase["epoch"] == 2 and phase["step"] == 2 * trainer.steps_per_epoch and phase["open"] == ["dense1"]
    assert "dense1" in phase["text"] and "0.1x" in phase["text"]
    kinds = [(r["type"], r.get("epoch")) for r in records if r["type"] in ("epoch", "phase")]
    assert kinds.index(("phase", 2)) == kinds.index(("epoch", 2)) + 1  # between epoch 2's record and epoch 3's

    # phase one left dense1 alone; phase two trained it, in a new optimizer with both groups
    for key, value in dense1.items():
        assert torch.equal(seen["dense1"][key], value), key
    assert any(not torch.equal(snapshot(net.dense1)[k], v) for k, v in dense1.items())
    assert seen["optimizer"] is trainer.optimizer is not first
    assert not seen["cached"] and not net.features_cached
    groups = {g["name"]: g for g in trainer.optimizer.param_groups}
    assert list(groups) == ["head", "backbone"]
    assert {id(p) for p in groups["backbone"]["params"]} == {id(p) for p in net.dense1.parameters()}
    assert groups["backbone"]["lr"] == pytest.approx(groups["head"]["lr"] * 0.1)
    assert set(groups_by_param(trainer)) == set(trainable(trainer))
    for name in ("conv1", "conv2"):
        assert not any(p.requires_grad for p in net._modules[name].parameters())


def test_a_two_phase_linear_probe_says_nothing_more_opens():
    exp = glyph_transfer({"transfer.head_epochs": 1, "train.epochs": 2})
    trainer, records = run(exp)
    (phase,) = [r for r in records if r["type"] == "phase"]
    assert phase["epoch"] == 1 and phase["open"] == [] and "nothing more opens" in phase["text"]
    assert trainer.net.features_cached and [g["name"] for g in trainer.optimizer.param_groups] == ["head"]


# -- 3. the linear probe trains on cached features ----------------------------------------------------

def test_linear_probe_trains_on_cached_features_with_the_same_numbers_as_without(monkeypatch):
    exp = glyph_transfer({"train.epochs": 5, "train.batch_size": 10})
    cached, cached_records = run(exp)
    assert cached.net.features_cached
    assert tuple(cached.x_train.shape) == (50, 64) and tuple(cached.x_val.shape[1:]) == (64,)
    assert cached.x_train.shape[1:] == cached.transfer.backbone.out_shape
    # the cache is what the frozen backbone makes of the images
    images = torch.as_tensor(cached.data.x_train)
    with torch.no_grad():
        cached.net.eval()
        direct = images
        for name in cached.net.backbone:
            direct = cached.net._modules[name](direct)
    assert torch.allclose(cached.x_train, direct, atol=1e-6)

    # caching off: the trainer thinks it augments (so it must not cache), the augmentation itself
    # stays a no-op (augment_batch checks the spec again and returns the batch unchanged)
    monkeypatch.setattr(trainer_module, "augment_enabled", lambda spec, kind: True)
    plain, plain_records = run(exp)
    assert not plain.net.features_cached and tuple(plain.x_train.shape) == (50, 1, 16, 16)

    a, b = epochs_of(cached_records), epochs_of(plain_records)
    assert len(a) == len(b) == 6
    for x, y in zip(a, b):
        for key in ("train_loss", "val_loss", "train_acc", "val_acc"):
            assert x[key] == pytest.approx(y[key], rel=1e-5, abs=1e-6), (x["epoch"], key)
    def steps(records):
        return [v for r in records if r["type"] == "steps" for v in r["loss"]]
    assert steps(cached_records) == pytest.approx(steps(plain_records), rel=1e-5, abs=1e-6)


# -- 4. one head initialisation for every strategy -------------------------------------------------------

def test_fine_tuned_and_scratch_runs_of_one_seed_start_from_the_same_head():
    layers = [{"type": "dense", "units": 12, "activation": "relu"}]
    heads = {}
    backbones = {}
    for strategy in ("linear_probe", "fine_tune_top", "fine_tune_all", "scratch"):
        exp = glyph_transfer({"transfer.strategy": strategy, "model.layers": layers, "train.seed": 7})
        trainer = Trainer(exp)
        state = snapshot(trainer.net)
        heads[strategy] = {k: v for k, v in state.items() if k.split(".")[0] not in trainer.net.backbone}
        backbones[strategy] = {k: v for k, v in state.items() if k.split(".")[0] in trainer.net.backbone}
    assert sorted(heads["scratch"]) == ["head_dense1.layer.bias", "head_dense1.layer.weight",
                                        "out.bias", "out.weight"]
    for strategy, head in heads.items():
        for key, value in head.items():
            assert torch.equal(value, heads["scratch"][key]), (strategy, key)
    # ... while the backbones differ as they should: the shipped weights, or fresh ones for scratch
    shipped = load_checkpoint(backbones_dir() / "glyphs_cnn.safetensors").state_dict
    for key, value in backbones["fine_tune_top"].items():
        assert torch.equal(value, shipped[key]), key
    assert not torch.equal(backbones["scratch"]["conv1.layer.weight"], shipped["conv1.layer.weight"])
    other = Trainer(glyph_transfer({"transfer.strategy": "scratch", "model.layers": layers, "train.seed": 8}))
    assert not torch.equal(other.net.out.weight, heads["scratch"]["out.weight"])


# -- 5. the designed pair ------------------------------------------------------------------------------

PAIR_EPOCHS = 50  # the presets run 100; the gap is there by 50 (~22 points at 50 and at 100)


def test_linear_probe_beats_scratch_by_ten_points_at_five_examples_per_class():
    """Mean validation accuracy over seeds 0-2 at 5 examples per class: the frozen glyphs_cnn plus a
    linear head against the same CNN from scratch (LR 3e-3, the best of 1e-3, 3e-3, 1e-2)."""
    probe, scratch = load_experiment("transfer_linear_probe"), load_experiment("transfer_scratch")
    assert probe.data.per_class == scratch.data.per_class == 5
    assert (probe.transfer.strategy, scratch.transfer.strategy) == ("linear_probe", "scratch")
    assert scratch.optim.lr == 3e-3 and probe.train.epochs == scratch.train.epochs
    accuracy = {}
    for name, exp in (("probe", probe), ("scratch", scratch)):
        finals = []
        for seed in (0, 1, 2):
            seeded = exp.with_changes({"data.seed": seed, "train.seed": seed, "train.epochs": PAIR_EPOCHS,
                                       "train.probe_every": 0})
            _, records = run(seeded)
            finals.append(epochs_of(records)[-1]["val_acc"])
        accuracy[name] = float(np.mean(finals))
    gap = accuracy["probe"] - accuracy["scratch"]
    assert gap >= 0.10, f"linear probe {accuracy['probe']:.1%}, scratch {accuracy['scratch']:.1%}"


# -- 6. a broken folder ----------------------------------------------------------------------------------

def photo_png(path: Path, seed: int, size: tuple[int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)


def folder_spec(path: Path, **transfer) -> dict:
    return {"data": {"name": "folder", "path": str(path)}, "model": {"layers": []},
            "optim": {"name": "adam", "lr": 0.01}, "train": {"epochs": 2, "batch_size": 4, "probe_every": 0},
            "transfer": {"backbone": "glyphs_cnn", "strategy": "linear_probe", **transfer}}


def test_a_broken_folder_trains_on_its_valid_images_and_lists_the_rest(tmp_path):
    root = tmp_path / "photos"
    for i in range(5):
        photo_png(root / "circle" / f"c{i}.png", i, (20 + 3 * i, 24))
        photo_png(root / "square" / f"s{i}.png", 10 + i, (32, 16 + 5 * i))
    (root / "empty").mkdir()
    (root / "circle" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 10)
    (root / "square" / "notes.txt").write_text("what these pictures are", encoding="utf-8")
    exp = Experiment.from_dict(folder_spec(root))
    trainer, records = run(exp)
    assert trainer.data.class_names == ["circle", "square"]
    assert len(trainer.data.y_train) + len(trainer.data.y_val) == 10
    warnings = [r["text"] for r in records if r["type"] == "message" and r["level"] == "warning"]
    assert len(warnings) == 1
    text = warnings[0]
    assert text.startswith("Skipped 3 file(s)")
    for shown in ("empty/ (no usable images)", "circle/broken.jpg (cannot decode", "square/notes.txt (not an image)"):
        assert shown in text
    assert isinstance(epochs_of(records)[-1]["val_acc"], float)


@pytest.mark.parametrize("layout, reason", [
    ({"circle": 3}, "needs at least 2 class folders with images; found 1"),
    # two class folders by name, but one holds nothing Pillow can decode: found when decoding
    ({"circle": 3, "square": 0}, "needs at least 2 classes with images; found 1: circle (3 images)"),
])
def test_a_folder_of_one_class_is_refused_in_one_line(tmp_path, capsys, layout, reason):
    root = tmp_path / "photos"
    for name, count in layout.items():
        for i in range(count):
            photo_png(root / name / f"{i}.png", i, (16, 16))
        if not count:
            (root / name).mkdir(parents=True)
            (root / name / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(folder_spec(root)), encoding="utf-8")
    code = cli.main(["run", str(spec), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("playground: error: data.path: ")
    assert reason in err and "Traceback" not in err


# -- 7. the ImageNet path, with weights served as the real ones are ------------------------------------

class WeightServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, files: dict[str, bytes]):
        super().__init__(("127.0.0.1", 0), WeightHandler)
        self.files = files
        self.requests: list[str] = []

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{name}"


class WeightHandler(BaseHTTPRequestHandler):
    server: WeightServer

    def do_GET(self):
        self.server.requests.append(self.path)
        body = self.server.files.get(self.path.lstrip("/"))
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def served_mobilenet(tmp_path, monkeypatch):
    """Random MobileNetV3 weights saved by torch.save, served from 127.0.0.1, with the registry's
    entry pointing there (name, checksum and size of this file) and torch's cache in tmp_path."""
    torch.manual_seed(123)
    state = imagenet.mobilenet_v3_small().state_dict()
    buffer = io.BytesIO()
    torch.save(state, buffer)
    body = buffer.getvalue()
    entry = BACKBONES.entry("mobilenet_v3_small")
    server = WeightServer({entry.value.weights.name: body})
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    weights = dataclasses.replace(entry.value.weights, url=server.url(entry.value.weights.name),
                                  sha256=hashlib.sha256(body).hexdigest(), size=len(body))
    monkeypatch.setitem(BACKBONES._entries, "mobilenet_v3_small",
                        dataclasses.replace(entry, value=dataclasses.replace(entry.value, weights=weights)))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    for name in ("no_proxy", "NO_PROXY"):  # a proxy from the environment must not take 127.0.0.1
        monkeypatch.setenv(name, "*")
    yield server, state, weights
    server.shutdown()
    server.server_close()


def test_imagenet_backbone_downloads_once_and_fine_tunes_on_a_folder(tmp_path, served_mobilenet):
    server, state, weights = served_mobilenet
    root = tmp_path / "photos"
    sizes = [(40, 30), (64, 64), (50, 90), (300, 200)]
    for i, size in enumerate(sizes):
        photo_png(root / "cats" / f"{i}.png", i, size)
        photo_png(root / "dogs" / f"{i}.png", 50 + i, size[::-1])
    exp = Experiment.from_dict({
        "data": {"name": "folder", "path": str(root), "preprocess": "imagenet"},
        "model": {"layers": []},
        "optim": {"name": "adam", "lr": 0.003},
        "train": {"epochs": 2, "batch_size": 4, "probe_every": 0},
        "transfer": {"backbone": "mobilenet_v3_small", "strategy": "fine_tune_top", "open_blocks": 1},
    })
    records: list[dict] = []
    trainer = Trainer(exp, records.append)
    assert server.requests == [f"/{weights.name}"]
    downloads = [r for r in records if r["type"] == "download"]
    assert downloads and downloads[-1]["done"] == downloads[-1]["total"] == weights.size
    assert all(r["file"] == "mobilenet_v3_small" for r in downloads)
    assert (tmp_path / "torch" / "hub" / "checkpoints" / weights.name).stat().st_size == weights.size

    net = trainer.net
    assert tuple(trainer.x_train.shape[1:]) == (3, 224, 224) and not net.features_cached
    # the served weights are the ones in the backbone
    assert torch.equal(net.features_0[0].weight, state["features.0.0.weight"])
    assert torch.equal(net.features_12[1].running_var, state["features.12.1.running_var"])
    before = snapshot(net)
    end = trainer.run()
    assert end["reason"] == "completed", end["message"]
    final = epochs_of(records)[-1]
    assert final["epoch"] == 2 and isinstance(final["val_acc"], float) and 0.0 <= final["val_acc"] <= 1.0
    after = snapshot(net)
    for key, value in before.items():
        opened = key.startswith(("features_12.", "out."))
        assert torch.equal(after[key], value) != opened, key  # frozen: untouched; open: trained
    assert [g["name"] for g in trainer.optimizer.param_groups] == ["head", "backbone"]

    again: list[dict] = []
    second = Trainer(exp, again.append)  # the verified cached copy: no request, no download records
    assert server.requests == [f"/{weights.name}"]
    assert not [r for r in again if r["type"] == "download"]
    assert torch.equal(second.net.features_0[0].weight, state["features.0.0.weight"])


# -- the transfer bench's report (structure only: no timing assertions on shared machines) --------------

def test_transfer_bench_reports_extraction_steps_and_the_cache_speedup():
    threads = torch.get_num_threads()
    out = io.StringIO()
    rows = run_transfer_bench(0.01, out, batch=4, size=32, threads=2)
    assert torch.get_num_threads() == threads
    assert [(r["measure"], r["threads"]) for r in rows] == [
        ("feature extraction (eval, no_grad)", 1), ("feature extraction (eval, no_grad)", 2),
        ("head step on cached features", 1), ("head step through the frozen backbone", 1)]
    for row in rows:
        assert len(row["repeats"]) >= 3 and all(r > 0 for r in row["repeats"]) and row["rate"] > 0
    cached, uncached = rows[2], rows[3]
    assert cached["speedup"] == pytest.approx(cached["rate"] / uncached["rate"])
    assert cached["target"] == CACHE_SPEEDUP_TARGET and cached["met"] == (cached["speedup"] >= CACHE_SPEEDUP_TARGET)
    text = out.getvalue()
    assert f"torch {torch.__version__}" in text and "mobilenet_v3_small" in text and "32 px, batch 4" in text
    assert text.count("images/s") == 2 and text.count("steps/s") == 2
    assert f"cached / through backbone = {cached['speedup']:,.0f}x" in text
    assert f"target >= {CACHE_SPEEDUP_TARGET:g}x" in text and ("PASS" in text) != ("MISS" in text)


def test_the_benchs_network_is_the_linear_probes_with_nothing_downloaded(monkeypatch):
    from playground.core import transfer

    monkeypatch.setattr(transfer, "fetch", lambda *a, **k: pytest.fail("the bench must not download"))
    net = frozen_imagenet_net()
    assert net.frozen[-1] == "pool" and set(net.frozen) == set(net.backbone)
    assert [name for name, p in net.named_parameters() if p.requires_grad] == ["out.weight", "out.bias"]
    with torch.no_grad():
        assert tuple(net.features(torch.zeros(2, 3, 64, 64)).shape) == (2, 576)


# -- the run's own regularization and live changes leave the backbone alone ----------------------

def test_changing_the_dropout_of_a_transfer_run_touches_the_head_only():
    exp = glyph_transfer({"transfer.strategy": "fine_tune_top", "train.epochs": 1,
                          "model.layers": [{"type": "dense", "units": 8}]})
    trainer, _ = run(exp)
    trainer.set_dropout(0.3)  # the run has ended: applied at once, in this thread
    assert trainer.net.head_dense1.drop.p == 0.3
    for name in trainer.net.backbone:
        assert "drop" not in trainer.net._modules[name]._modules, name


def test_l1_charges_the_trainable_weights_only():
    exp = glyph_transfer({"optim.l1": 1e-3, "train.epochs": 1})
    records: list[dict] = []
    trainer = Trainer(exp, records.append)
    head_l1 = float(trainer.net.out.weight.detach().abs().sum())
    trainer.run()
    (first,) = [r["loss"][0] for r in records if r["type"] == "steps"]
    untrained = epochs_of(records)[0]["train_loss"]  # full batch, linear head: the same data loss
    assert first == pytest.approx(untrained + 1e-3 * head_l1, rel=1e-5)


def test_the_probes_watch_imagenet_blocks_that_run():
    """The activation plots cover an ImageNet backbone's blocks (their outputs, and the gradient and
    update of each block's last convolution) whenever the backbone runs, i.e. is not cached."""
    exp = Experiment.from_dict({
        "data": {"name": "folder", "path": "{resources}/sample_folder", "per_class": 2, "preprocess": "imagenet"},
        "model": {"layers": []}, "transfer": {"backbone": "mobilenet_v3_small", "strategy": "scratch",
                                              "cut": "features.3"},
        "train": {"epochs": 1, "batch_size": 6, "probe_every": 1}})
    records: list[dict] = []
    Trainer(exp, records.append).run()
    probe = next(r for r in records if r["type"] == "probe")
    names = [layer["name"] for layer in probe["layers"]]
    assert names == ["features.0", "features.1", "features.2", "features.3"]
    assert all(layer["grad_std"] > 0 and layer["act_std"] > 0 for layer in probe["layers"])


def test_a_network_trained_on_a_folder_is_a_backbone_too(tmp_path):
    """Its output layer's size (the folder's classes) comes from the checkpoint's weights, and a
    checkpoint of a transfer run is refused with the reason."""
    from playground.core.checkpoint import save_checkpoint

    folder = {"name": "folder", "path": "{resources}/sample_folder", "image_size": 16}
    source = Trainer(Experiment.from_dict({"data": folder, "model": {"layers": [{"type": "conv", "channels": 4},
                                                                              {"type": "pool"}]},
                                           "train": {"epochs": 1}}))
    source.run()
    path = tmp_path / "folder.safetensors"
    save_checkpoint(path, source.exp, source.net, source.epoch, source.step)
    raw = {"data": {"name": "glyphs", "n_samples": 400, "classes": [30, 31]}, "model": {"layers": []},
           "transfer": {"backbone": "checkpoint", "path": str(path)}, "train": {"epochs": 1}}
    with pytest.raises(SpecError, match="takes 3x16x16 images; glyphs gives 1x16x16"):  # it took colour
        Experiment.from_dict(raw)
    exp = Experiment.from_dict({**raw, "data": {"name": "folder", "path": "{resources}/sample_folder"}})
    trainer = Trainer(exp)
    assert trainer.run()["reason"] == "completed"
    transfer_run = tmp_path / "transfer.safetensors"
    save_checkpoint(transfer_run, trainer.exp, trainer.net, 1, 1)
    with pytest.raises(SpecError, match="itself trained on a backbone"):
        exp.with_changes({"transfer.path": str(transfer_run)})

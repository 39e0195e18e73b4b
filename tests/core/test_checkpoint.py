"""Checkpoints: weights and spec round-trip; damaged or hostile files get a clear error, never run."""

import pickle

import pytest
import torch

from playground.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from playground.core.spec import Experiment
from playground.core.trainer import Trainer


def _trained(spec=None):
    trainer = Trainer(Experiment.from_dict(spec or {"train": {"epochs": 2}}))
    trainer.run()
    return trainer


def test_round_trip_restores_the_same_predictions(tmp_path):
    trainer = _trained()
    path = tmp_path / "run.safetensors"
    save_checkpoint(path, trainer.exp, trainer.net, trainer.epoch, trainer.step)
    checkpoint = load_checkpoint(path)
    assert checkpoint.experiment.to_dict() == trainer.exp.to_dict()
    assert (checkpoint.epoch, checkpoint.step) == (2, 50)
    again = Trainer(checkpoint.experiment, state_dict=checkpoint.state_dict)
    assert again.evaluate() == trainer.evaluate()
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left no temporary file


class Boom:
    def __reduce__(self):
        return (open, ("/tmp/playground-pwned", "w"))


@pytest.mark.parametrize("content, message", [
    (b"", "not a checkpoint this app wrote"),
    (b"garbage that is long enough to have a header", "not a checkpoint this app wrote"),
    (pickle.dumps(Boom()), "not a checkpoint this app wrote"),
])
def test_foreign_files_are_refused_without_running_them(tmp_path, content, message):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)
    assert not __import__("os").path.exists("/tmp/playground-pwned")


def test_a_torch_save_pickle_is_refused(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"weights": torch.zeros(3), "evil": Boom()}, path)
    with pytest.raises(CheckpointError):
        load_checkpoint(path)


def test_truncated_checkpoint_is_called_damaged_or_foreign(tmp_path):
    trainer = _trained()
    path = tmp_path / "run.safetensors"
    save_checkpoint(path, trainer.exp, trainer.net, 1, 1)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(CheckpointError, match="damaged|not a checkpoint"):
        load_checkpoint(path)


def test_weights_for_another_network_say_which_layers_differ(tmp_path):
    trainer = _trained()
    path = tmp_path / "run.safetensors"
    save_checkpoint(path, trainer.exp, trainer.net, 1, 1)
    bigger = Experiment.from_dict({"model": {"layers": [{"units": 8}, {"units": 2}]}})
    with pytest.raises(CheckpointError, match="does not fit this network: different shapes for dense1.layer.bias"):
        Trainer(bigger, state_dict=load_checkpoint(path).state_dict)


def test_saved_files_get_the_users_usual_permissions(tmp_path):
    """Defect 18: checkpoints were written 0600 (a temporary file's mode), unlike any other file."""
    import os

    trainer = _trained({"train": {"epochs": 1}})
    old = os.umask(0o022)
    try:
        save_checkpoint(tmp_path / "run.safetensors", trainer.exp, trainer.net, 1, 1)
        trainer.exp.save(tmp_path / "run.json")
    finally:
        os.umask(old)
    assert (tmp_path / "run.safetensors").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "run.json").stat().st_mode & 0o777 == 0o644
    (tmp_path / "run.json").chmod(0o600)  # a file the user made private stays private
    trainer.exp.save(tmp_path / "run.json")
    assert (tmp_path / "run.json").stat().st_mode & 0o777 == 0o600


def test_the_header_alone_tells_the_experiment_and_counters(tmp_path):
    from playground.core.checkpoint_file import peek_checkpoint

    trainer = _trained()
    path = tmp_path / "run.safetensors"
    save_checkpoint(path, trainer.exp, trainer.net, trainer.epoch, trainer.step)
    info = peek_checkpoint(path)
    assert info.experiment.to_dict() == trainer.exp.to_dict() and (info.epoch, info.step) == (2, 50)
    path.write_bytes(b"\x00" * 3)
    with pytest.raises(CheckpointError, match="not a checkpoint this app wrote"):
        peek_checkpoint(path)

import pytest

from playground.cli import main
from playground.core.spec import Experiment
from playground.core.trainer import Trainer


@pytest.fixture
def train():
    """Run an experiment (dict or Experiment) to the end; return (trainer, records)."""

    def run(spec, **overrides):
        exp = spec if isinstance(spec, Experiment) else Experiment.from_dict(spec)
        if overrides:
            exp = exp.with_overrides([f"{k}={v}" for k, v in overrides.items()])
        records = []
        trainer = Trainer(exp, records.append)
        trainer.run()
        return trainer, records

    return run


@pytest.fixture
def playground(capsys, monkeypatch, tmp_path):
    """``playground(*args)`` -> (exit code, stdout, stderr), run from tmp_path."""
    monkeypatch.chdir(tmp_path)

    def run(*args):
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def epochs_of(records):
    return [r for r in records if r["type"] == "epoch"]

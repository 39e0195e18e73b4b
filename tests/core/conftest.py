import pytest

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


def epochs_of(records):
    return [r for r in records if r["type"] == "epoch"]

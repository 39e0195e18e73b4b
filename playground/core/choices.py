"""Every registry in one import, for the UI's menus and the CLI. None of them imports torch."""

from playground.core.activations import ACTIVATIONS
from playground.core.data import PREPROCESS
from playground.core.datasets import DATASETS
from playground.core.features import FEATURES
from playground.core.initializers import INITIALIZERS
from playground.core.losses import LOSSES
from playground.core.norms import NORMS
from playground.core.optimizers import OPTIMIZERS
from playground.core.schedules import SCHEDULES

__all__ = ["ACTIVATIONS", "DATASETS", "FEATURES", "INITIALIZERS", "LOSSES", "NORMS", "OPTIMIZERS", "PREPROCESS",
           "SCHEDULES"]

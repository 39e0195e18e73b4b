"""Every registry in one import, for the spec's validation, the UI's menus and the CLI."""

from playground.core.activations import ACTIVATIONS
from playground.core.data import PREPROCESS
from playground.core.datasets import DATASETS
from playground.core.features import FEATURES
from playground.core.initializers import INITIALIZERS
from playground.core.norms import NORMS
from playground.core.optimizers import OPTIMIZERS
from playground.core.schedules import SCHEDULES

__all__ = ["ACTIVATIONS", "DATASETS", "FEATURES", "INITIALIZERS", "NORMS", "OPTIMIZERS", "PREPROCESS", "SCHEDULES"]

"""Live plots of a run, fed plain records and snapshots from the GUI thread (no training logic).

Every plot is a view: ``add(records)`` takes each batch of the current run's records (all types,
it picks its own) and ``clear()`` forgets the run when a new one starts.

- ``MetricsPlots``: loss (per epoch and per batch), accuracy and learning rate over epochs or steps.
- ``ProbePlots``: per-layer activation histograms and diagnostics.
- ``BoundaryView``: 2D decision boundary or regression surface with the data points.
- ``ImagePredictions``, ``ConfusionMatrix``, ``ImageView``: image data snapshots.
"""

from playground.ui.plots.boundary import BoundaryView
from playground.ui.plots.images import ConfusionMatrix, ImagePredictions, ImageView
from playground.ui.plots.metrics import MetricsPlots
from playground.ui.plots.probes import ProbePlots

__all__ = ["BoundaryView", "ConfusionMatrix", "ImagePredictions", "ImageView", "MetricsPlots", "ProbePlots"]

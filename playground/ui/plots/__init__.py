"""Live plots of a run, fed plain records and snapshots from the GUI thread (no training logic).

- ``MetricsPlots``: loss / accuracy / learning rate over epochs or steps (``add_epochs``).
- ``ProbePlots``: per-layer activation histograms and diagnostics (``add_probes``).
- ``BoundaryView``: 2D decision boundary or regression surface with the data points.
- ``ImagePredictions``, ``ConfusionMatrix``, ``ImageView``: image data snapshots.
- ``LRPreview``: a schedule's learning rate per epoch before training.
"""

from playground.ui.plots.boundary import BoundaryView
from playground.ui.plots.images import ConfusionMatrix, ImagePredictions, ImageView
from playground.ui.plots.metrics import LRPreview, MetricsPlots
from playground.ui.plots.probes import ProbePlots

__all__ = ["BoundaryView", "ConfusionMatrix", "ImagePredictions", "ImageView", "LRPreview",
           "MetricsPlots", "ProbePlots"]

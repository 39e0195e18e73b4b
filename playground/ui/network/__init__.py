"""The network builder: layers as columns from left to right, as in TensorFlow Playground.

``panel`` edits (the columns' controls propose spec changes), ``columns`` holds each column's
controls, ``canvas`` and ``drawing`` paint units, shapes and connections, ``coloring`` turns
snapshot numbers into pictures and pens.
"""

from playground.ui.network.panel import NetworkPanel

__all__ = ["NetworkPanel"]

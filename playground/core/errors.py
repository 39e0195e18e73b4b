"""The errors a user's input can cause, in a module of their own so that every layer can raise them
without importing the spec (which would close an import cycle)."""

from __future__ import annotations


class SpecError(ValueError):
    """A bad value in an experiment; ``path`` names the field (``model.layers[1].units``)."""

    def __init__(self, path: str, problem: str):
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)


class ShapeError(ValueError):
    """A layer that cannot take the shape that reaches it; ``index`` is its place in ``model.layers``."""

    def __init__(self, index: int, problem: str):
        self.index = index
        super().__init__(problem)

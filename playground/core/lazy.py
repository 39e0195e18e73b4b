"""Torch modules imported on first use.

The registries are read by the window's process, which lists their names and help texts but never
trains: importing torch there would cost ~1.5 s and ~225 MB before the window appears. Code in the
registries (a loss function, say) names ``F`` as usual; torch is imported the first time it runs.
The same source, pasted into an exported script, reads as ordinary PyTorch.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class LazyModule:
    def __init__(self, name: str):
        self._name = name

    def _module(self) -> ModuleType:
        return importlib.import_module(self._name)

    def __getattr__(self, attr: str):
        return getattr(self._module(), attr)


F = LazyModule("torch.nn.functional")

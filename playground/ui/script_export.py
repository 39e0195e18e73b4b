"""File ▸ Export script: the window's experiment as the standalone PyTorch script of ``playground export``.

The exporter builds the network with torch to check its own script, and the window's process never
imports torch (it would cost the window a second and a few hundred MB): so the script is written by
``playground export`` in a process of its own, and the window hears how it went without waiting.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Optional

from PySide6.QtCore import QObject, QProcess, Signal

from playground.core.spec import Experiment


class ScriptExport(QObject):
    """One export at a time; ``done(path)`` or ``failed(message)`` when it is over."""

    done = Signal(str)
    failed = Signal(str)

    def __init__(self, parent: Optional[QObject] = None):
        super().__init__(parent)
        self._process: Optional[QProcess] = None
        self._spec: Optional[Path] = None
        self._target: Optional[Path] = None

    @property
    def busy(self) -> bool:
        return self._process is not None

    def start(self, exp: Experiment, target: Path) -> None:
        if self.busy:
            self.failed.emit("An export is being written already: wait for it to finish.")
            return
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as spec:
            spec.write(exp.to_json())
        self._spec, self._target = Path(spec.name), target
        process = QProcess(self)
        process.finished.connect(self._finished)
        process.errorOccurred.connect(self._error)
        self._process = process
        process.start(sys.executable, ["-m", "playground", "export", str(self._spec), "-o", str(target)])

    def _finished(self, code: int, status) -> None:
        process = self._end()
        if process is None:
            return
        if code == 0 and status == QProcess.ExitStatus.NormalExit:
            self.done.emit(str(self._target))
            return
        said = bytes(process.readAllStandardError().data()).decode("utf-8", "replace").strip().splitlines()
        reason = said[-1].removeprefix("playground: error: ") if said else f"the exporter stopped (exit {code})"
        self.failed.emit(f"Could not export the script: {reason}")

    def _error(self, error) -> None:
        if error == QProcess.ProcessError.FailedToStart and self._end() is not None:
            self.failed.emit(f"Could not start the exporter ({sys.executable}).")

    def _end(self) -> Optional[QProcess]:
        process, self._process = self._process, None
        if self._spec is not None:
            self._spec.unlink(missing_ok=True)
            self._spec = None
        if process is not None:
            process.deleteLater()
        return process

    def stop(self) -> None:
        """The window closes: no exporter outlives it."""
        process = self._end()
        if process is not None:
            process.kill()
            process.waitForFinished(2000)

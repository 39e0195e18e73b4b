"""The last seconds of a widget as an animated GIF, for a slide that shows training move.

While on, the widget is grabbed a few times a second into a ring buffer of the last ``seconds``:
each frame shrunk to fit MAX_SIZE and kept as 3-byte RGB, so a frame is at most 800 x 500 x 3 =
1.2 MB and the default 10 s at 5 fps (50 frames) at most 60 MB, whatever the window's size.
Saving quantizes and writes the frames with Pillow in a worker thread; the GIF plays at the speed
the frames were taken, late ones included. No MP4: it would need ffmpeg, a system program, or
imageio-ffmpeg's bundled one; Pillow, already a dependency, writes GIFs on its own.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget
from superqt.utils import create_worker

FPS = 5
SECONDS = 10.0
MAX_SIZE = QSize(800, 500)


@dataclass(frozen=True)
class Frame:
    taken: float  # time.monotonic()
    image: QImage  # RGB888


def to_pillow(image: QImage) -> Image.Image:
    size = (image.width(), image.height())
    return Image.frombytes("RGB", size, bytes(image.constBits()), "raw", "RGB", image.bytesPerLine())


def write_gif(path: Path, frames: list[QImage], durations_ms: list[int]) -> str:
    """Runs in a worker: QImages are implicitly shared with atomic counts, so the worker's copies stay
    whole while the ring buffer drops its own."""
    images = [to_pillow(frame) for frame in frames]
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:], duration=durations_ms, loop=0)
    return str(path)


def reason(error: Exception) -> str:
    """"No such file or directory", not "[Errno 2] No such file or directory: '/the/same/path'"."""
    return getattr(error, "strerror", None) or str(error)


class Recorder(QObject):
    """Grabs ``widget`` every 1/fps s while recording; ``save_gif`` answers with ``saved(path)``
    or ``failed(message)``, in the GUI thread."""

    saved = Signal(str)
    failed = Signal(str)

    def __init__(self, widget: QWidget, fps: float = FPS, seconds: float = SECONDS, parent: QObject | None = None):
        super().__init__(parent)
        self.widget = widget
        self.fps = fps
        self._frames: deque[Frame] = deque(maxlen=max(1, round(fps * seconds)))
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse timer is 5% off: the GIF would be too
        self._timer.setInterval(round(1000 / fps))
        self._timer.timeout.connect(self._grab)
        self._workers = []  # a running save's worker, kept from the garbage collector

    @property
    def is_recording(self) -> bool:
        return self._timer.isActive()

    @property
    def seconds_buffered(self) -> float:
        if not self._frames:
            return 0.0
        return self._frames[-1].taken - self._frames[0].taken + 1 / self.fps

    def start(self) -> None:
        """Start afresh: a recording is one stretch of time, not pieces glued together."""
        self._frames.clear()
        self._grab()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def save_gif(self, path: Path) -> None:
        """What is buffered now goes to ``path``; recording goes on meanwhile."""
        frames = list(self._frames)
        if not frames:
            self.failed.emit("Nothing recorded yet: start recording, let it run, then save.")
            return
        images = [QImage(frame.image) for frame in frames]  # shallow copies: the pixels are not copied here
        durations = [round(1000 * (b.taken - a.taken)) for a, b in zip(frames, frames[1:])]
        durations.append(round(1000 / self.fps))
        worker = create_worker(write_gif, Path(path), images, durations,
                               _start_thread=False, _ignore_errors=True)  # errors: ours to tell
        worker.returned.connect(self.saved.emit)
        worker.errored.connect(lambda error: self.failed.emit(f"Could not save {path}: {reason(error)}"))
        worker.finished.connect(lambda: self._workers.remove(worker))
        self._workers.append(worker)
        worker.start()

    def _grab(self) -> None:
        taken = time.monotonic()  # when the picture was on screen, not when grabbing it ended
        image = self.widget.grab().toImage()
        if image.width() > MAX_SIZE.width() or image.height() > MAX_SIZE.height():
            image = image.scaled(MAX_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                                 Qt.TransformationMode.SmoothTransformation)
        self._frames.append(Frame(taken, image.convertToFormat(QImage.Format.Format_RGB888)))

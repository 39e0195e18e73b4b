"""Pretrained weight files, fetched on first use into torch's own hub cache.

The cache and the file names are torchvision's, so a file the user already has (or copies there
by hand on a machine without internet) is found. Unlike torch, the checksum is checked before every
use, not only after the download: a damaged file would otherwise load as wrong weights or fail deep
inside ``torch.load``. Standard library only and no torch: the window's process calls this too.
"""

from __future__ import annotations

import hashlib
import http.client
import math
import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, TextIO

CHUNK = 1 << 20
MB = 1e6

Progress = Callable[[int, int], None]  # (bytes done, bytes in all)


@dataclass(frozen=True)
class WeightFile:
    name: str  # torchvision's file name, e.g. "mobilenet_v3_small-047dcff4.pth"
    url: str
    sha256: str  # full hex digest
    size: int  # bytes


class DownloadError(RuntimeError):
    """A weight file that cannot be had; the message tells the user what to do instead."""


class _Failed(Exception):
    """Why this download failed, before we know whether a damaged cached copy must be mentioned."""


def hub_checkpoints_dir() -> Path:
    """``torch.hub.get_dir()/checkpoints``, by torch's own rules (a set-but-empty variable counts,
    as there) but without importing torch."""
    home = os.environ.get("TORCH_HOME", os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "torch"))
    return Path(os.path.expanduser(home)) / "hub" / "checkpoints"


def cached_path(file: WeightFile) -> Path:
    return hub_checkpoints_dir() / file.name


def sha256_of(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def fetch(file: WeightFile, progress: Optional[Progress] = None, *, timeout: float = 30.0) -> Path:
    """The verified local copy of ``file``: the cached one if its checksum is right (no request at
    all), else a fresh download that replaces it. ``progress(done, total)`` sees the bytes arrive,
    starting with those a resumed download already had; an exception it raises stops the download
    and keeps what arrived for the next try."""
    path = cached_path(file)
    folder = f"{path.parent}{os.sep}"
    damaged = False
    try:
        if path.exists():
            if sha256_of(path) == file.sha256:
                return path
            damaged = True
        _download(file, path, progress, timeout)
    except _Failed as failure:
        if damaged:
            raise DownloadError(
                f"The cached copy of {file.name} in {folder} is damaged (its SHA-256 checksum is not "
                f"the published file's), so it is not used, and a fresh copy could not be downloaded "
                f"({failure}). Download {file.url} on a machine with internet and put it in {folder} "
                f"in place of the damaged one.") from failure.__cause__
        raise DownloadError(f"Cannot download {file.name} ({failure}). Download {file.url} on a machine "
                            f"with internet and put it in {folder}") from failure.__cause__
    except OSError as e:  # the local disk: a folder we may not write, a full disk
        raise DownloadError(f"Cannot read or write {file.name} in {folder}: {e.strerror or e}. Check that "
                            f"the folder is writable and has space, or set TORCH_HOME to another folder.") from e
    return path


def _download(file: WeightFile, path: Path, progress: Optional[Progress], timeout: float) -> None:
    """Into ``<name>.partial`` beside ``path``, resuming what is there with a Range request; verified,
    then renamed over ``path`` so that no reader ever sees half a file."""
    partial = path.with_name(path.name + ".partial")
    path.parent.mkdir(parents=True, exist_ok=True)
    have = partial.stat().st_size if partial.exists() else 0
    if have >= file.size:  # complete but never verified, or not ours: cheaper to start over than to guess
        have = 0
    request = urllib.request.Request(file.url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except (OSError, http.client.HTTPException) as e:  # URLError and HTTPError are OSErrors
        raise _Failed(_network_reason(e, timeout)) from e
    with response:
        if response.status != 206:  # a server that ignores Range sends the whole file again
            have = 0
        with open(partial, "ab" if have else "wb") as out:
            if progress:
                progress(have, file.size)
            while have <= file.size:  # a longer answer is not the file: stop filling the disk
                try:
                    chunk = response.read(CHUNK)
                except (OSError, http.client.HTTPException) as e:
                    raise _Failed(_broken(have, file.size)) from e
                if not chunk:
                    break
                out.write(chunk)
                have += len(chunk)
                if progress:
                    progress(have, file.size)
            out.flush()
            os.fsync(out.fileno())
    if have < file.size:
        raise _Failed(_broken(have, file.size))
    digest = sha256_of(partial)
    if digest != file.sha256:
        partial.unlink()
        raise _Failed(f"the downloaded file's SHA-256 checksum is {digest}, not the published "
                      f"{file.sha256}, so it was deleted")
    os.replace(partial, path)


def _network_reason(error: Exception, timeout: float) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"the server answered {error.code} {error.reason}"
    cause = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(cause, TimeoutError):
        return f"no answer within {timeout:g} s"
    return f"no connection: {getattr(cause, 'strerror', None) or cause}"


def _broken(have: int, total: int) -> str:
    return (f"the connection broke after {have / MB:.1f} of {total / MB:.1f} MB; "
            f"the next try resumes from there")


class TerminalProgress:
    """A ``progress`` for the command line: one line redrawn in place, at most ``rate`` times a
    second (a redraw per megabyte would flood a slow terminal), ended by a newline when done."""

    def __init__(self, label: str, stream: Optional[TextIO] = None, rate: float = 10.0, width: int = 30):
        self.label, self.width = label, width
        self.stream = stream or sys.stderr
        self.interval = 1.0 / rate
        self.last = -math.inf

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        finished = done >= total
        if not finished and now - self.last < self.interval:
            return
        self.last = now
        share = min(done / total, 1.0) if total else 1.0
        filled = round(self.width * share)
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] "
                          f"{done / MB:.1f}/{total / MB:.1f} MB {share:4.0%}" + ("\n" if finished else ""))
        self.stream.flush()

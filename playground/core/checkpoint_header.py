"""A checkpoint's header: the JSON at the front of a safetensors file, read without torch and
without the spec (so that the backbone registry can read a checkpoint's experiment too)."""

from __future__ import annotations

import json
from pathlib import Path

FORMAT = "playground-checkpoint"
VERSION = "1"
MAX_HEADER = 100_000_000  # safetensors' own limit on the JSON header


class CheckpointError(ValueError):
    pass


def checkpoint_metadata(head: bytes, path: Path) -> dict:
    """The metadata of a safetensors file from its first bytes: 8 bytes of little-endian length,
    then that much JSON. A truncated or foreign file is named as such."""
    not_ours = CheckpointError(f"{path} is not a checkpoint this app wrote (expected a safetensors file)")
    if len(head) < 8:
        raise not_ours
    size = int.from_bytes(head[:8], "little")
    if size <= 0 or size > MAX_HEADER or 8 + size > len(head):
        raise not_ours
    try:
        header = json.loads(head[8:8 + size])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise not_ours from None
    meta = header.get("__metadata__") if isinstance(header, dict) else None
    if isinstance(meta, dict):
        meta = {**meta, "shapes": {k: v.get("shape") for k, v in header.items()
                                   if k != "__metadata__" and isinstance(v, dict)}}
    if not isinstance(meta, dict):
        raise not_ours
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is a safetensors file but not a playground checkpoint")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{path} is a checkpoint of format version {meta.get('version')}; this app reads {VERSION}")
    return meta


def peek_metadata(path: str | Path) -> dict:
    """The metadata of a checkpoint, reading only its header."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            size = int.from_bytes(head, "little") if len(head) == 8 else 0
            if 0 < size <= MAX_HEADER:
                head += f.read(size)
    except OSError as e:
        raise CheckpointError(f"cannot read {path}: {e.strerror or e}") from None
    return checkpoint_metadata(head, path)

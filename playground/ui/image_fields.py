"""The image-data fields of the data panel and their folder helpers: the classes typed as "30-39"
or "0,1,7" (parsed, shown short, and the field that proposes them), a chosen folder's path as an
experiment keeps it and as a narrow label shows it, and what a folder holds, counted from its file
names only (no decoding, no torch), so that its summary shows at once.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Optional

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLineEdit, QWidget

from playground.core.image_folder import FolderError, scan_folder
from playground.core.paths import resolve_path, resources_dir
from playground.ui.forms import rich_tip

SAMPLE_FOLDER = "{resources}/sample_folder"  # what the folder tile starts with: a valid experiment at once
SHOWN_CLASSES = 6  # the folder summary names this many classes, then counts the rest


def parse_classes(text: str):
    """The class indices typed as "30-39", "0,1,7" or "0-4, 9" (in that order), None for an empty
    field (all classes), or a str: why the text is not a list of classes. Whether the classes exist
    is the spec's to say, as with numbers."""
    text = re.sub(r"\s*-\s*", "-", text.strip())
    if not text:
        return None
    chosen: list[int] = []
    for part in re.split(r"[,;\s]+", text):
        if not part:
            continue
        if re.fullmatch(r"\d+", part):
            chosen.append(int(part))
            continue
        bounds = re.fullmatch(r"(\d+)-(\d+)", part)
        if bounds is None:
            return f"'{part}' is not a class number or a range: write e.g. 30-39 or 0,1,7"
        first, last = int(bounds.group(1)), int(bounds.group(2))
        if first > last:
            return f"'{part}' counts down: write {last}-{first}"
        if last - first >= 1000:
            return f"'{part}' spans more than 1000 classes"
        chosen.extend(range(first, last + 1))
    return chosen


def classes_text(classes: Optional[list[int]]) -> str:
    """The short form of a class list: runs of three or more as ranges, "30-39" or "0, 1, 7"."""
    if not classes:
        return ""
    parts, start = [], 0
    for i in range(1, len(classes) + 1):
        if i == len(classes) or classes[i] != classes[i - 1] + 1:
            run = classes[start:i]
            parts += [f"{run[0]}-{run[-1]}"] if len(run) >= 3 else [str(c) for c in run]
            start = i
    return ", ".join(parts)


class ClassesField(QLineEdit):
    """Which classes, typed; like a NumberField it proposes a parsed value (``valueEdited``: a list
    or None) or refuses the text with the reason (``refused``) and shows its value again."""

    valueEdited = Signal(object)
    refused = Signal(str)

    def __init__(self, name: str, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setObjectName(name)
        self._value: Optional[list[int]] = None
        self.editingFinished.connect(self.commit)

    def value(self) -> Optional[list[int]]:
        return self._value

    def setValue(self, value: Optional[list[int]]) -> None:
        self._value = None if value is None else list(value)
        self.setText(classes_text(self._value))

    def commit(self) -> None:
        parsed = parse_classes(self.text())
        if isinstance(parsed, str):
            self.setText(classes_text(self._value))
            self.refused.emit(parsed)
            return
        self.setText(classes_text(parsed))
        if parsed != self._value:
            self._value = parsed
            self.valueEdited.emit(parsed)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape and self.text() != classes_text(self._value):
            self.setText(classes_text(self._value))
            return
        super().keyPressEvent(event)


def portable_path(path: str) -> str:
    """A chosen path as an experiment file keeps it: inside the shipped resources as ``{resources}/...``,
    so that the file works wherever the app is installed."""
    try:
        inside = Path(path).resolve().relative_to(resources_dir().resolve())
    except ValueError:
        return str(path)
    return "{resources}/" + inside.as_posix() if str(inside) != "." else "{resources}"


def shown_path(path: str) -> str:
    """A path for a narrow label: the shipped resources by name, the home folder as ~."""
    if path.startswith("{resources}/"):
        return path[len("{resources}/"):]
    home = os.path.expanduser("~")
    return "~" + path[len(home):] if home not in ("", "/", "~") and path.startswith(home) else path


def folder_summary(path: str) -> tuple[str, str, bool]:
    """What a folder holds, from its file names: a line such as "3 classes: one 24, seven 24, zero 24
    · skipped 1 (README.txt: not in a class folder)", a tooltip that lists every skipped item, and
    whether the folder can be used at all."""
    try:
        files, skipped = scan_folder(resolve_path(path))
    except FolderError as error:
        return str(error), rich_tip("The folder cannot be used", str(error)), False
    counts = [(name, len(paths)) for name, paths in files.items()]
    shown = ", ".join(f"{name} {count}" for name, count in counts[:SHOWN_CLASSES])
    if len(counts) > SHOWN_CLASSES:
        shown += f", and {len(counts) - SHOWN_CLASSES} more"
    text = f"{len(counts)} class{'es' * (len(counts) != 1)}: {shown}" if counts else "no class folders with images"
    if skipped:
        first = f"{skipped[0][0]}: {skipped[0][1]}" + (", …" if len(skipped) > 1 else "")
        text += f" · skipped {len(skipped)} ({first})"
    numbered = "<br>".join(f"{i}: {html.escape(name)} ({count} images)" for i, (name, count) in enumerate(counts))
    tip = f"<qt><b>{html.escape(str(resolve_path(path)))}</b><p>Classes by index (data.classes counts in this " \
          f"order):<br>{numbered}</p>"
    if skipped:
        listed = "<br>".join(f"{html.escape(item)}: {html.escape(reason)}" for item, reason in skipped)
        tip += f"<p>Skipped {len(skipped)}:<br>{listed}</p>"
    tip += "<p>Counted from the file names; a file that cannot be decoded is skipped when training starts.</p></qt>"
    return text, tip, len(counts) >= 2

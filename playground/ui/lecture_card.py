"""The lecture's card: what the audience is looking at, said in words above the network.

A step's title and number, its two or three lines, the "what to watch" line, and the coach's
advice on the run being shown, with its fix one click away. C shows and hides it.
"""

from __future__ import annotations

from typing import Callable, Optional

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from playground.core.lecture import Step

ACCENT = "#0b3d62"
COACH = "#6b4a00"


class LectureCard(QWidget):
    """Title line (number, title, deck), explanation, what to watch, and the coach's line."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setObjectName("lecture_card")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(f"QWidget#lecture_card {{ background: #ffffff; border-left: 6px solid {ACCENT}; }}")
        self.number = self._label("card_number", 1.15, bold=True, color=ACCENT)
        self.title = self._label("card_title", 1.5, bold=True)
        self.text = self._label("card_text", 1.15)
        self.watch = self._label("card_watch", 1.15, color=ACCENT)
        self.coach = self._label("card_coach", 1.0, color=COACH)
        self.fix = QPushButton()
        self.fix.setObjectName("card_fix")
        font = self.fix.font()
        font.setPointSizeF(font.pointSizeF())  # a font of its own (a set size): the presentation's zoom takes it along
        self.fix.setFont(font)
        self.fix.hide()
        self._fix: Optional[Callable[[], None]] = None
        self.fix.clicked.connect(lambda: self._fix and self._fix())
        top = QHBoxLayout()
        top.setSpacing(12)
        top.addWidget(self.number)
        top.addWidget(self.title, 1)
        coach_row = QHBoxLayout()
        coach_row.addWidget(self.coach, 1)
        coach_row.addWidget(self.fix)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.text)
        layout.addWidget(self.watch)
        layout.addLayout(coach_row)
        self.coach.hide()
        self.hide()

    def _label(self, name: str, size: float, bold: bool = False, color: str = "#000000") -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setWordWrap(name != "card_number")
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setStyleSheet(f"color: {color};")
        font = label.font()
        font.setPointSizeF(font.pointSizeF() * size)
        font.setBold(bold)
        label.setFont(font)
        return label

    def show_step(self, number: int, total: int, step: Step) -> None:
        self.number.setText(f"{number} / {total}")
        self.title.setText(step.title)
        self.text.setText("\n".join(step.text))
        self.watch.setText(step.watch)
        self.watch.setVisible(bool(step.watch))
        self.clear_advice()

    def show_advice(self, text: str, fix: tuple = ()) -> None:
        """The coach's diagnosis; ``fix`` is (label, action) or nothing."""
        self.coach.setText(f"Coach: {text}")
        self.coach.show()
        self._fix = fix[1] if fix else None
        self.fix.setText(fix[0] if fix else "")
        self.fix.setVisible(bool(fix))

    def clear_advice(self) -> None:
        self.coach.hide()
        self.fix.hide()
        self._fix = None

    def advice(self) -> str:
        return "" if self.coach.isHidden() else self.coach.text()

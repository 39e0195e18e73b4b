"""The strip above the network that says what the user must know now (a diverged run, a loss that
explodes, a file that could not be opened, a finished run) with the actions that follow from it."""

from __future__ import annotations

from typing import Callable, Optional

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

STYLES = {
    "error": ("#fde2e1", "#8a1c14", "#e0a39e"),
    "warning": ("#fff4d6", "#6b4a00", "#e5c66b"),
    "info": ("#e3f1fb", "#0b3d62", "#9cc7e6"),
}


class Banner(QWidget):
    """One message at a time, with up to a few buttons and a close button."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.level = ""
        self.text = QLabel()
        self.text.setObjectName("banner_text")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(8, 4, 4, 4)
        self._layout.addWidget(self.text, 1)
        self._buttons: list[QPushButton] = []
        close = QToolButton()
        close.setObjectName("banner_close")
        close.setText("×")
        close.setAutoRaise(True)
        close.setToolTip("Hide this message")
        close.clicked.connect(self.hide)
        self._layout.addWidget(close)
        self.hide()

    def show_message(self, level: str, text: str, actions: tuple[tuple[str, Callable[[], None]], ...] = ()) -> None:
        background, color, border = STYLES[level]
        self.level = level
        self.setStyleSheet(f"QWidget#banner {{ background: {background}; border: 1px solid {border}; }}"
                           f"QLabel#banner_text {{ color: {color}; font-weight: bold; }}")
        self.text.setText(text)
        for button in self._buttons:
            button.setParent(None)
            button.deleteLater()
        self._buttons = []
        for i, (label, action) in enumerate(actions):
            button = QPushButton(label)
            button.setObjectName(f"banner_action{i}")
            button.clicked.connect(action)
            self._layout.insertWidget(1 + i, button)
            self._buttons.append(button)
        self.show()

    def message(self) -> str:
        return "" if self.isHidden() else self.text.text()

    def actions(self) -> list[QPushButton]:
        return list(self._buttons)

    def clear(self) -> None:
        self.level = ""
        self.hide()

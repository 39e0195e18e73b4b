"""A lecture deck in the window: the steps, the presenter's keys, the card and the blank screen.

Clickers send Right/Left or PageDown/PageUp; 1-9 jump to a step, B blanks the screen (any of B,
Esc or a click brings it back), C shows or hides the card. The keys are the window's shortcuts, so
a field being typed in keeps its arrows and digits. A deck that does not load is said in the
banner, naming the step and the field, and nothing else changes: the open deck and the experiment
stay.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from playground.core.lecture import Deck, DeckError, load_deck

if TYPE_CHECKING:
    from playground.ui.window import MainWindow

NEXT_KEYS = (Qt.Key.Key_Right, Qt.Key.Key_PageDown)
PREVIOUS_KEYS = (Qt.Key.Key_Left, Qt.Key.Key_PageUp)


class BlankScreen(QWidget):
    """Black over the whole window: the audience looks at the lecturer, the run goes on."""

    shown = Signal(bool)

    def __init__(self, window: QWidget):
        super().__init__(window)
        self.setObjectName("blank_screen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("QWidget#blank_screen { background: #000000; }")
        window.installEventFilter(self)
        self.hide()

    def cover(self) -> None:
        self.setGeometry(self.parentWidget().rect())
        self.show()
        self.raise_()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self.setGeometry(self.parentWidget().rect())
        return False

    def mousePressEvent(self, event) -> None:
        self.hide()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.shown.emit(True)

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.shown.emit(False)


class LectureMode(QObject):
    """The open deck and which step is shown; ``changed`` after each step opens."""

    changed = Signal()

    def __init__(self, window: "MainWindow"):
        super().__init__(window)
        self.window = window
        self.deck: Optional[Deck] = None
        self.index = -1
        self.blank = BlankScreen(window)
        a = window._action
        self.next_action = a("Next step", [QKeySequence(k) for k in NEXT_KEYS],
                             "The lecture's next step (a clicker's forward button)", self.next, "lecture_next")
        self.previous_action = a("Previous step", [QKeySequence(k) for k in PREVIOUS_KEYS],
                                 "The lecture's previous step", self.previous, "lecture_previous")
        self.card_action = a("Show the card", Qt.Key.Key_C, "Show or hide the step's card: its explanation, "
                             "what to watch and the coach's advice", self.toggle_card, "lecture_card")
        self.card_action.setCheckable(True)
        self.card_action.setChecked(True)
        self.blank_action = a("Blank the screen", Qt.Key.Key_B, "Black screen while you talk (B, Esc or a "
                              "click brings the window back; training goes on)", self.toggle_blank,
                              "lecture_blank")
        self.close_action = a("Close the lecture", None, "Back to the playground: no card, no step keys",
                              self.close, "lecture_close")
        self.jump_actions = [a(f"Step {n}", getattr(Qt.Key, f"Key_{n}"), f"Jump to step {n}",
                               lambda checked=False, i=n - 1: self.go(i), f"lecture_step{n}") for n in range(1, 10)]
        self._enable()

    @property
    def active(self) -> bool:
        return self.deck is not None

    @property
    def step(self):
        return self.deck.steps[self.index] if self.deck else None

    def open(self, name_or_path: str | Path) -> bool:
        """Open a deck at its first step; a deck with an error changes nothing and says why."""
        try:
            deck = load_deck(name_or_path)
        except DeckError as e:
            self.window.say_error(f"Could not open the lecture: {e}")
            return False
        self.show_deck(deck)
        return True

    def show_deck(self, deck: Deck) -> None:
        self.deck, self.index = deck, -1
        self._enable()
        self.go(0)

    def close(self) -> None:
        self.deck, self.index = None, -1
        self.blank.hide()
        self._enable()
        self.window.card.hide()
        self.changed.emit()

    def go(self, index: int) -> None:
        if not self.deck or not 0 <= index < len(self.deck.steps) or index == self.index:
            return
        self.index = index
        self.blank.hide()
        self.window.open_step(self.deck.steps[index], index + 1, len(self.deck.steps), self.card_action.isChecked())
        self.changed.emit()

    def next(self) -> None:
        self.go(self.index + 1)

    def previous(self) -> None:
        self.go(self.index - 1)

    def toggle_card(self) -> None:
        self.window.card.setVisible(self.active and self.card_action.isChecked())

    def toggle_blank(self) -> None:
        if self.blank.isVisible():
            self.blank.hide()
        else:
            self.blank.cover()

    def _enable(self) -> None:
        """Without a deck the keys are free: an arrow or a digit does nothing unexpected."""
        for action in (self.next_action, self.previous_action, self.card_action, self.close_action,
                       *self.jump_actions):
            action.setEnabled(self.active)

    def actions(self) -> list[QAction]:
        return [self.previous_action, self.next_action, self.card_action, self.blank_action, self.close_action]

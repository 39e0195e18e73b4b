"""A scroll area that fits its widget to the room it has and scrolls only below the widget's minimum.

QScrollArea's own resizing (``setWidgetResizable``) gives a widget whose layout has height-for-width
(a word-wrapped label) its preferred height, not the room on screen: the Surfaces tab's view came
out twice as tall as a 1280x720 window's tab, its legend and tip below the fold.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QScrollArea


class FittingScrollArea(QScrollArea):
    def __init__(self, name: str):
        super().__init__()
        self.setObjectName(name)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setWidgetResizable(False)

    def fit(self) -> None:
        widget = self.widget()
        if widget is not None:
            least = widget.minimumSizeHint()
            room = self.maximumViewportSize()  # the whole area, as if no scroll bar were shown
            width = max(least.width(), room.width() - (self.verticalScrollBar().sizeHint().width()
                                                         if least.height() > room.height() else 0))
            height = max(least.height(), room.height() - (self.horizontalScrollBar().sizeHint().height()
                                                            if least.width() > room.width() else 0))
            widget.resize(width, height)

    def setWidget(self, widget) -> None:
        super().setWidget(widget)
        self.fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit()

    def eventFilter(self, watched, event) -> bool:
        """The widget's minimum changed (a larger font in presentation mode, Ctrl++): fit it again."""
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.fit()
        return super().eventFilter(watched, event)

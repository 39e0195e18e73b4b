import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported: no display needed


@pytest.fixture
def settings(tmp_path):
    """A settings file of the test's own: no window test sees another's saved layout or experiment."""
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture(autouse=True, scope="session")
def clipboard_emptied_at_the_end(qapp):
    """Qt's offscreen platform (6.11) crashes at exit on mime data its clipboard still holds (X11
    does not): the tests that copy pictures would make the run exit 139 after passing."""
    yield
    qapp.clipboard().clear()

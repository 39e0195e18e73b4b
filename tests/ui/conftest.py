import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported: no display needed


@pytest.fixture
def settings(tmp_path):
    """A settings file of the test's own: no window test sees another's saved layout or experiment."""
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)

"""The test server itself: what it serves is closed, whatever the client does."""

from __future__ import annotations

import gc
import warnings

from werkzeug.test import EnvironBuilder

from deliberation import create_app
from e2e.conftest import closing_on_collection
from tests.conftest import base_config


def _static_file_left_unread(wsgi_app) -> list[str]:
    """The ResourceWarnings seen when a static file's answer is begun and then dropped, never closed —
    as Werkzeug's development server drops it when the client resets the connection while it drains."""
    environ = EnvironBuilder(path="/static/icon.svg").get_environ()
    answer = wsgi_app(environ, lambda status, headers: None)
    next(iter(answer))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        del answer
        gc.collect()
    return [str(warning.message) for warning in seen if issubclass(warning.category, ResourceWarning)]


def test_a_static_file_dropped_mid_answer_is_closed_not_left_to_the_collector(tmp_path):
    app = create_app(base_config("sqlite:///" + str(tmp_path / "server.db"), SERVER_NAME=None))
    bare = app.wsgi_app
    assert any("icon.svg" in message for message in _static_file_left_unread(bare))  # what the server meets
    assert _static_file_left_unread(closing_on_collection(bare)) == []

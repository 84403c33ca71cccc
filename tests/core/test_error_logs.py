"""An unexpected error is logged with what went wrong and where, in bounded text: a failed
bulk statement's message carries its whole SQL, megabytes that would flood the log."""
from __future__ import annotations

import logging


def test_an_unhandled_request_error_with_a_huge_message_is_logged_bounded(make_app, caplog):
    fresh = make_app()

    @fresh.get("/_huge")
    def _huge():
        raise RuntimeError("statement too long: " + "(%s), " * 200_000)

    with caplog.at_level(logging.ERROR):
        response = fresh.test_client().get("/_huge")
    assert response.status_code == 500
    assert "unhandled error on GET /_huge" in caplog.text
    assert "RuntimeError: statement too long" in caplog.text and "test_error_logs.py" in caplog.text
    assert len(caplog.text) < 20_000, len(caplog.text)

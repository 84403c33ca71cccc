"""Stored files: written whole, named by keys nobody can bend into another path, served
only as what was stored."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from flask import Flask

from app.core import files


def test_a_stored_file_reads_back_with_its_checksum(app: Flask) -> None:
    with app.test_request_context():
        stored = files.store("statements", "对账单 2026-11".encode(), suffix=".csv")
        assert stored.key.startswith("statements/") and stored.key.endswith(".csv")
        assert stored.size == len("对账单 2026-11".encode())
        assert stored.sha256 == hashlib.sha256("对账单 2026-11".encode()).hexdigest()
        assert files.read(stored.key, stored.sha256) == "对账单 2026-11".encode()
        # Outside the web root, under the configured folder, with no half-written twin left.
        on_disk = Path(app.config["FILES_DIR"]) / stored.key
        assert on_disk.is_file() and not on_disk.with_name(on_disk.name + ".part").exists()
        assert not str(on_disk).startswith(app.static_folder)


def test_two_files_never_share_a_key(app: Flask) -> None:
    with app.test_request_context():
        assert files.store("tickets", b"a").key != files.store("tickets", b"a").key


@pytest.mark.parametrize("key", ["../secret_key", "statements/2026/11/../../../secret_key",
                                 "/etc/passwd", "statements/2026/11/abc", "", "Statements/2026/11/" + "a" * 20])
def test_keys_that_could_reach_other_files_are_refused(app: Flask, key: str) -> None:
    with app.test_request_context():
        with pytest.raises(files.FileMissing):
            files.read(key)
        with pytest.raises(files.FileMissing):
            files.send(key, download_name="x", mimetype="text/plain")


def test_a_file_altered_on_disk_is_not_served(app: Flask) -> None:
    with app.test_request_context():
        stored = files.store("statements", b"closing balance 100.00", suffix=".csv")
        (Path(app.config["FILES_DIR"]) / stored.key).write_bytes(b"closing balance 999.00")
        with pytest.raises(files.FileMissing):
            files.read(stored.key, stored.sha256)
        with pytest.raises(files.FileMissing):
            files.send(stored.key, download_name="s.csv", mimetype="text/csv", sha256=stored.sha256)


def test_a_download_is_private_and_not_sniffed(app: Flask) -> None:
    with app.test_request_context():
        stored = files.store("statements", b"%PDF-1.7 ...", suffix=".pdf")
        response = files.send(stored.key, download_name="对账单.pdf", mimetype="application/pdf",
                              sha256=stored.sha256)
        response.direct_passthrough = False
        assert response.get_data() == b"%PDF-1.7 ..."
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response.headers["Cache-Control"]
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.get_etag()[0] == stored.sha256


def test_bad_areas_and_suffixes_are_a_caller_bug(app: Flask) -> None:
    with app.test_request_context():
        for area, suffix in (("../x", ""), ("statements", "/../x"), ("", ".pdf")):
            with pytest.raises(ValueError):
                files.store(area, b"x", suffix=suffix)

"""Stored files: what the portal keeps on disk (statements, settlement files, attachments).

Files live under FILES_DIR (default `instance/files`), outside the web root: nobody
reaches one by its path, only through a view that checked who may see it and then
calls `send()`. A stored file is named by a key (`<area>/<yyyy>/<mm>/<random><suffix>`)
that a domain keeps in its own row together with the SHA-256 and size `store()` returns,
so a download can prove it is the file that was made.

A file is written (to a temporary name, then renamed into place) before the row that
names it is committed. When that transaction rolls back the file stays behind unnamed,
which wastes a little disk and never shows anyone anything; the reverse order could
leave a row naming a file that was never written.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from flask import Response, current_app, send_file

_AREA = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")
_SUFFIX = re.compile(r"^(\.[a-z0-9]{1,8})?$")
_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,30}/\d{4}/\d{2}/[A-Za-z0-9_-]{16,64}(\.[a-z0-9]{1,8})?$")


class FileMissing(LookupError):
    """The key names no stored file, or the file on disk is not the one that was stored."""


@dataclass(frozen=True)
class Stored:
    key: str
    sha256: str
    size: int


def root() -> Path:
    return Path(current_app.config["FILES_DIR"])


def path_of(key: str) -> Path:
    """The file a key names; refuses anything that is not a key `store()` could have made."""
    if not _KEY.match(key or ""):
        raise FileMissing(key)
    return root() / key


def store(area: str, data: bytes, *, suffix: str = "") -> Stored:
    """Write `data` as a new file of `area` (a short lowercase name such as "statements")."""
    if not _AREA.match(area) or not _SUFFIX.match(suffix):
        raise ValueError(f"bad area or suffix: {area!r} {suffix!r}")
    now = datetime.now(timezone.utc)
    key = f"{area}/{now:%Y}/{now:%m}/{secrets.token_urlsafe(18)}{suffix}"
    target = path_of(key)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with open(partial, "xb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, target)
    return Stored(key, hashlib.sha256(data).hexdigest(), len(data))


def read(key: str, sha256: str | None = None) -> bytes:
    """The stored bytes; with `sha256`, only if they are still what was stored."""
    try:
        data = path_of(key).read_bytes()
    except OSError as e:
        raise FileMissing(key) from e
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise FileMissing(key)
    return data


def send(key: str, *, download_name: str, mimetype: str, sha256: str | None = None,
         inline: bool = False) -> Response:
    """A response with the stored file as a download (or shown inline, for images).

    The caller has checked who may see it. With `sha256`, a file altered on disk is
    refused (FileMissing) rather than served; the checksum is also the ETag.
    """
    data_path = path_of(key)
    if not data_path.is_file():
        raise FileMissing(key)
    if sha256 is not None:
        digest = hashlib.sha256()
        with open(data_path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != sha256:
            raise FileMissing(key)
    response = send_file(data_path, mimetype=mimetype, as_attachment=not inline,
                         download_name=download_name, etag=sha256 or True, conditional=True, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def remove(key: str) -> None:
    """Delete a stored file (nothing happens when it is gone already)."""
    try:
        path_of(key).unlink()
    except FileNotFoundError:
        pass

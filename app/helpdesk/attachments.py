"""Attachments: images and PDFs, judged by their content, kept outside the web root.

A file's type is what its first bytes say it is (PNG, JPEG, GIF, WebP or PDF), never
its name or the browser's Content-Type: an executable renamed to .png is refused. Every
file of a message is checked before any is stored, so a refusal stores nothing and the
message is not sent.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import Response, current_app
from flask_babel import lazy_gettext as _l

from app.core import files
from app.core.bounds import clip_name, length_of
from app.core.errors import DomainError
from app.extensions import db
from app.helpdesk.models import Attachment, Message

AREA = "tickets"


@dataclass(frozen=True)
class Upload:
    """A file as it arrived: its name (a label only) and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Kind:
    content_type: str
    suffix: str


def sniff(data: bytes) -> Kind | None:
    """The type the content says it is, among those accepted; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return Kind("image/png", ".png")
    if data.startswith(b"\xff\xd8\xff"):
        return Kind("image/jpeg", ".jpg")
    if data.startswith((b"GIF87a", b"GIF89a")):
        return Kind("image/gif", ".gif")
    if len(data) >= 12 and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return Kind("image/webp", ".webp")
    if data.startswith(b"%PDF-"):
        return Kind("application/pdf", ".pdf")
    return None


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):g}"


def checked(uploads: Sequence[Upload], field: str = "attachments") -> list[tuple[Upload, Kind]]:
    """Each upload with its type; DomainError (naming the file) for too many, too large,
    empty or not an accepted type."""
    cfg = current_app.config
    most, limit = int(cfg["HELPDESK_ATTACHMENTS_PER_MESSAGE"]), int(cfg["HELPDESK_ATTACHMENT_MAX_BYTES"])
    if len(uploads) > most:
        raise DomainError(_l("Attach at most %(n)d files to one message.", n=most), field, code="too_many_files")
    out = []
    for upload in uploads:
        if len(upload.data) > limit:
            raise DomainError(_l("%(name)s is larger than %(mb)s MB: attach a smaller file.", name=upload.name,
                                 mb=_megabytes(limit)), field, code="file_too_large")
        kind = sniff(upload.data)
        if kind is None:
            raise DomainError(_l("%(name)s is not an image (PNG, JPEG, GIF, WebP) or a PDF: attach one of those.",
                                 name=upload.name), field, code="file_type")
        out.append((upload, kind))
    return out


def attach(message: Message, accepted: Sequence[tuple[Upload, Kind]]) -> list[Attachment]:
    """Store the checked files and record them on `message` (flushed)."""
    rows = []
    limit = length_of(Attachment.filename)
    for upload, kind in accepted:
        stored = files.store(AREA, upload.data, suffix=kind.suffix)
        rows.append(Attachment(message_id=message.id, ticket_id=message.ticket_id,
                               filename=clip_name(upload.name or f"attachment{kind.suffix}", limit),
                               content_type=kind.content_type, size=stored.size, sha256=stored.sha256,
                               key=stored.key))
    db.session.add_all(rows)
    db.session.flush()
    return rows


def send(attachment: Attachment) -> Response:
    """The stored file: images shown in the page, PDFs downloaded. The caller checked who asks."""
    return files.send(attachment.key, download_name=attachment.filename, mimetype=attachment.content_type,
                      sha256=attachment.sha256, inline=attachment.is_image)

"""Encryption of personal data kept in the database (identity numbers), and keyed hashes
to find equal values without decrypting them.

The key is FIELD_ENCRYPTION_KEY (32 bytes, urlsafe base64, as Fernet takes it); in
development it is derived from SECRET_KEY. Production refuses to start without one of
its own (app.config.production_problems).
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


def _key() -> bytes:
    configured = current_app.config.get("FIELD_ENCRYPTION_KEY")
    if configured:
        return configured.encode() if isinstance(configured, str) else configured
    digest = hashlib.sha256(b"kuajing-field-encryption:" + current_app.config["SECRET_KEY"].encode()).digest()
    return base64.urlsafe_b64encode(digest)


def encrypt(text: str) -> str:
    return Fernet(_key()).encrypt(text.encode()).decode()


def decrypt(token: str) -> str | None:
    """The plain text, or None when the token was not made with this key."""
    try:
        return Fernet(_key()).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def fingerprint(text: str, purpose: str) -> str:
    """A keyed hash of `text`: equal for equal values, useless without the key."""
    return hmac.new(_key(), f"{purpose}:{text}".encode(), hashlib.sha256).hexdigest()

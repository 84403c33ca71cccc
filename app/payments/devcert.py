"""A throwaway client certificate for talking to the WeChat Pay simulator.

wechatpy refuses refunds without certificate and key files, and requests
checks that the files exist even over plain HTTP. The simulator does not look
at them, so in development we make a self-signed pair once and reuse it.
Never used against the real WeChat Pay, which needs the merchant's own files.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

CERT_NAME = "apiclient_cert.pem"
KEY_NAME = "apiclient_key.pem"


def ensure_dev_client_cert(directory: str | Path, common_name: str = "kuajing-sandbox"
                           ) -> tuple[str, str]:
    """Return (cert_path, key_path) in ``directory``, creating a self-signed pair if absent."""
    directory = Path(directory)
    cert_path, key_path = directory / CERT_NAME, directory / KEY_NAME
    if cert_path.is_file() and key_path.is_file():
        return str(cert_path), str(key_path)
    directory.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    key_bytes = key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption())
    # Write the key readable by its owner only, then the certificate.
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key_bytes)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(cert_path), str(key_path)

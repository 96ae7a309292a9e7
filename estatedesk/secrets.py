"""The development JWT secret: ESTATEDESK_JWT_SECRET, else one kept in the data directory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

SECRET_FILE = "jwt-secret"


def dev_secret(data_dir: Path, *, create: bool) -> str | None:
    if os.environ.get("ESTATEDESK_JWT_SECRET"):
        return os.environ["ESTATEDESK_JWT_SECRET"]
    path = data_dir / SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    if not create:
        return None
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value

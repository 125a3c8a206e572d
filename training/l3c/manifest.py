"""A model folder's manifest.json: its canonical bytes, whose SHA-256 is the model id that
streams name (shared/format.ts `model_id`)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def sha256(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def write_manifest(d: Path, manifest: dict) -> str:
    """Write d/manifest.json in its canonical bytes; returns the model id (their SHA-256)."""
    mb = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()
    (d / "manifest.json").write_bytes(mb)
    return sha256(mb)

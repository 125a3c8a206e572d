"""Where things are: the repository, the datasets beside the checkout, the cache."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository's root."""
SHARED = ROOT.parent / "shared" / "datasets"
"""The datasets (../shared/datasets beside the checkout): train/, kodak/."""
DEFAULT_DATA = SHARED / "train"
"""The training images (lossless WebP); the validation split is a hash of each path (data.py)."""
CACHE = ROOT / "training" / ".cache"
"""Decoded image sets (data.py load_split)."""
MODELS = ROOT / "models"
"""Exported models (one folder each, manifest.json)."""

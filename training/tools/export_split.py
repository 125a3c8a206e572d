"""Write the validation (or training) split as PNG files into a folder, for tools that
read folders of images (e.g. `npm run bench -- <folder>`). The split is the one every
training tool uses (l3c/data.py: 1 in 16 by path hash). Never commit the output.

    python tools/export_split.py --split val --out /tmp/l3c-val
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from l3c.data import is_validation, list_images, load_rgb  # noqa: E402
from l3c.paths import DEFAULT_DATA  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--split", choices=["val", "train"], default="val")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    a = p.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    names = [n for n in list_images(a.data) if is_validation(n) == (a.split == "val")]
    for n in names:
        Image.fromarray(load_rgb(a.data / n)).save(a.out / (n.replace("/", "__").rsplit(".", 1)[0] + ".png"))
    print(f"wrote {len(names)} images to {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

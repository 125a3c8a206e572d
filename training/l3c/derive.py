"""Derive a model from an exported one by changing its config only (the graphs are copied
byte for byte), e.g. enabling the adaptive stage of shared/adaptive-stage.ts:

    python -m l3c.derive --model ../models/l3c-pyramid-v2 --name l3c-pyramid-v3 --set adapt=adapt-1

The manifest's bytes (hence the model id) change, so streams name exactly the scheme that
coded them; the source model stays so that its streams keep decoding. The manifest records
`derived_from` (the source id and the changes).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

from .manifest import write_manifest


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, required=True, help="exported model folder")
    p.add_argument("--name", required=True, help="name of the new model folder (beside --model)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config key (JSON or string value)")
    a = p.parse_args(argv)
    src = a.model
    mb = (src / "manifest.json").read_bytes()
    manifest = json.loads(mb)
    changes = {}
    for kv in a.set:
        if "=" not in kv:
            print(f"error: --set expects KEY=VALUE, got {kv!r}", file=sys.stderr)
            return 2
        k, v = kv.split("=", 1)
        try:
            changes[k] = json.loads(v)
        except json.JSONDecodeError:
            changes[k] = v
    if not changes:
        print("error: nothing to change (--set KEY=VALUE)", file=sys.stderr)
        return 2
    out = src.parent / a.name
    if out.exists():
        print(f"error: {out} exists", file=sys.stderr)
        return 2
    out.mkdir()
    for f in manifest["files"].values():
        shutil.copyfile(src / f["file"], out / f["file"])
    manifest["config"] = {**manifest["config"], **changes}
    manifest["name"] = a.name
    manifest["derived_from"] = {"model": hashlib.sha256(mb).hexdigest(), "config": changes}
    print(f"wrote {out} (model id {write_manifest(out, manifest)})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Model lookup by id, validity checks and graph runs, SPEC.md §5."""
import hashlib
import json
import os
import numpy as np
from l3c_errors import L3CError

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_DIRS = [os.path.join(REPO, "models"), os.path.join(REPO, "test", "fixtures", "models")]

PYRAMID_ROLES = ["dec3", "dec2", "dec1", "base"] + [f"l{l}p{p}" for l in (3, 2, 1) for p in (1, 2, 3)]
PHASE4_ROLES = ["dec3", "dec2", "dec1"] + [f"head{p}" for p in range(4)]


def find_model(model_id, dirs=None):
    for d in dirs or DEFAULT_DIRS:
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            mf = os.path.join(d, name, "manifest.json")
            if os.path.isfile(mf) and not os.path.islink(os.path.join(d, name)):
                with open(mf, "rb") as f:
                    if hashlib.sha256(f.read()).digest() == model_id:
                        return os.path.join(d, name)
    # symlinked folders (e.g. models/default) last
    for d in dirs or DEFAULT_DIRS:
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            mf = os.path.join(d, name, "manifest.json")
            if os.path.isfile(mf):
                with open(mf, "rb") as f:
                    if hashlib.sha256(f.read()).digest() == model_id:
                        return os.path.join(d, name)
    return None


class Model:
    def __init__(self, folder):
        self.folder = folder
        try:
            with open(os.path.join(folder, "manifest.json"), "rb") as f:
                man = json.loads(f.read())
            cfg = man["config"]
            assert isinstance(cfg, dict) and isinstance(man["files"], dict)
        except Exception:  # not in SPEC.md §5.5 (question 7)
            raise L3CError("UNKNOWN_MODEL", "manifest unreadable")
        self.files = man.get("files", {})
        try:
            self.C, self.Cf, self.K, self.L, self.S = (cfg[k] for k in ("C", "Cf", "K", "L", "S"))
        except KeyError:
            raise L3CError("UNKNOWN_MODEL", "config field missing")
        self.rgb_context = cfg.get("rgb_context")
        # §5.5: a key present with null is invalid, not absent; numbers count by value
        for key in ("adapt", "z3_cdf", "z1"):
            if key in cfg and cfg[key] is None:
                raise L3CError("UNKNOWN_MODEL", f"{key} is null")
        self.adapt = cfg.get("adapt")
        self.z3_cdf = cfg.get("z3_cdf")
        self.z1 = cfg.get("z1", "coded")
        if self.z1 not in ("coded", "none"):
            raise L3CError("UNKNOWN_MODEL", "z1")
        as_int = lambda v: int(v) if isinstance(v, float) and v.is_integer() else v  # noqa: E731
        self.C, self.Cf, self.K, self.L, self.S = (as_int(v) for v in (self.C, self.Cf, self.K, self.L, self.S))
        if self.S != 3:
            raise L3CError("UNKNOWN_MODEL", "S != 3")
        if self.rgb_context not in ("pyramid", "phase4"):
            raise L3CError("UNKNOWN_MODEL", "rgb_context")
        if not (isinstance(self.K, int) and not isinstance(self.K, bool) and 1 <= self.K <= 32):
            raise L3CError("UNKNOWN_MODEL", "K")
        if self.adapt is not None and (self.adapt not in ("adapt-1", "adapt-2", "adapt-3", "adapt-4", "adapt-5", "adapt-6") or self.rgb_context == "phase4"):
            raise L3CError("UNKNOWN_MODEL", "adapt")
        self.A = {None: 0, "adapt-1": 1, "adapt-2": 2, "adapt-3": 3, "adapt-4": 4, "adapt-5": 5, "adapt-6": 6}[self.adapt]
        if self.z3_cdf is not None:
            ok = isinstance(self.z3_cdf, list) and len(self.z3_cdf) == self.C
            for row in self.z3_cdf if ok else []:
                ok = ok and isinstance(row, list) and len(row) == self.L + 1 and all(isinstance(x, int) for x in row)
                ok = ok and row[0] == 0 and row[-1] == 65536 and all(row[i] < row[i + 1] for i in range(self.L))
            if not ok:
                raise L3CError("UNKNOWN_MODEL", "z3_cdf")
        roles = PYRAMID_ROLES if self.rgb_context == "pyramid" else PHASE4_ROLES
        for r in roles:
            if r not in self.files:
                raise L3CError("UNKNOWN_MODEL", f"role {r} missing")
        self.sessions = {}

    def session(self, role):
        if role not in self.sessions:
            import onnxruntime as ort
            ent = self.files[role]
            path = os.path.join(self.folder, ent["file"])
            try:
                with open(path, "rb") as f:
                    blob = f.read()
            except OSError:
                raise L3CError("UNKNOWN_MODEL", f"graph {role} unreadable")
            if hashlib.sha256(blob).hexdigest() != ent["sha256"]:
                raise L3CError("UNKNOWN_MODEL", f"graph {role} hash mismatch")
            so = ort.SessionOptions()
            so.intra_op_num_threads = 1
            so.inter_op_num_threads = 1
            try:
                self.sessions[role] = ort.InferenceSession(blob, so, providers=["CPUExecutionProvider"])
            except Exception as e:  # not in SPEC.md: an unloadable graph (question 8)
                raise L3CError("UNKNOWN_MODEL", f"graph {role} does not load: {e}")
        return self.sessions[role]

    def run(self, role, inputs, wanted):
        """wanted: {name: (numpy dtype, shape)}; checks dtype and element count (§5.2)."""
        sess = self.session(role)
        names = [o.name for o in sess.get_outputs()]
        use = [n for n in wanted if n in names]
        if len(use) != len(wanted):
            raise L3CError("UNKNOWN_MODEL", f"{role}: output missing")
        try:
            outs = sess.run(use, inputs)
        except Exception as e:  # not in SPEC.md: a graph that rejects its inputs (question 8)
            raise L3CError("UNKNOWN_MODEL", f"{role} failed: {e}")
        res = {}
        for n, o in zip(use, outs):
            dt, shape = wanted[n]
            if o.dtype != dt or o.size != int(np.prod(shape)):
                raise L3CError("UNKNOWN_MODEL", f"{role}.{n}: wrong type/size")
            res[n] = o.reshape(shape)
        return res

"""Training pipeline: tiny model trains, resumes exactly, exports integer graphs that
match the fake-quantized model and give identical outputs in onnxruntime for Python,
onnxruntime-node and onnxruntime-web."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from l3c import checkpoints, onnx_export
from l3c import qat as l3c_qat
from l3c import train as l3c_train
from l3c.data import DataError, load_split
from l3c.intmodel import IntModel
from l3c.model import L3C, ModelConfig
from l3c.quant import set_mode

from helpers import make_images

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--Cf", "8", "--B", "1", "--K", "2", "--batch", "2", "--crop", "32", "--small-crop", "32",
        "--bf16", "off", "--no-progress", "--val-crop", "32", "--threads", "1"]


def test_a_pruned_run_starts_from_a_wider_checkpoint(data, tmp_path, capsys):
    wide, slim = tmp_path / "wide", tmp_path / "slim"
    assert _train(data, wide, 1) == 0
    narrower = ["--Cf", "4", "--K", "1"]  # argparse: the last value wins over TINY's
    assert _train(data, slim, 1, ["--prune-from", str(wide / "checkpoint.pt"), *narrower]) == 0
    assert "pruned start:" in capsys.readouterr().err
    ck = checkpoints.read_checkpoint(slim / "checkpoint.pt")
    assert (ck["config"]["Cf"], ck["config"]["K"]) == (4, 1)
    with pytest.raises(SystemExit):  # one warm start or the other, never both silently
        _train(data, tmp_path / "both", 1, ["--init-from", str(wide / "checkpoint.pt"),
                                            "--prune-from", str(wide / "checkpoint.pt")])


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_images(tmp_path_factory.mktemp("data"), n=10)


def _train(data, out, steps, extra=()):
    return l3c_train.main(["--data", str(data), "--out", str(out), "--cache", str(out / "cache"),
                           "--total-steps", "10", "--max-steps", str(steps), "--minutes", "10", *TINY, *extra])


def test_a_z_weight_changes_the_step_and_1_is_the_default(data, tmp_path):
    runs = {}
    for name, extra in [("default", []), ("one", ["--z-weight", "1"]), ("three", ["--z-weight", "3"])]:
        assert _train(data, tmp_path / name, 1, extra) == 0
        runs[name] = checkpoints.read_checkpoint(tmp_path / name / "checkpoint.pt")["model"]
    assert all(torch.equal(runs["default"][k], runs["one"][k]) for k in runs["default"])
    assert not all(torch.equal(runs["default"][k], runs["three"][k]) for k in runs["default"])


def test_missing_data_folder_is_a_clear_error(tmp_path, capsys):
    assert l3c_train.main(["--data", str(tmp_path / "nope"), "--out", str(tmp_path / "o"), *TINY]) == 2
    assert "training data folder not found" in capsys.readouterr().err
    with pytest.raises(DataError):
        load_split(tmp_path / "nope", "train")


def test_resume_reproduces_the_same_next_step(data, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert _train(data, a, 3) == 0
    assert _train(data, b, 2) == 0
    assert _train(data, b, 3) == 0  # resumes from b's step-2 checkpoint
    ka = checkpoints.read_checkpoint(a / "checkpoint.pt")
    kb = checkpoints.read_checkpoint(b / "checkpoint.pt")
    assert ka["step"] == kb["step"] == 3
    for k, v in ka["model"].items():
        assert torch.equal(v, kb["model"][k]), k
    log = [json.loads(l) for l in (a / "log.jsonl").read_text().splitlines()]
    assert any("val_bpsp" in r for r in log)


@pytest.fixture(scope="module")
def exported(data, tmp_path_factory):
    d = tmp_path_factory.mktemp("run")
    assert _train(data, d, 2) == 0
    assert l3c_qat.main(["--ckpt", str(d / "checkpoint.pt"), "--out", str(d / "qat.pt"), "--data", str(data),
                         "--cache", str(d / "cache"), "--max-steps", "2", "--calib-batches", "2", "--batch", "2",
                         "--crop", "32", "--val-crop", "32", "--no-progress"]) == 0
    model = checkpoints.load_qat_model(d / "qat.pt")
    manifest = onnx_export.export(model, d / "models", "tiny")
    return model, d / "models" / "tiny", manifest


def test_export_names_files_by_content_hash(exported):
    _, mdir, manifest = exported
    heads = {"base"} | {f"l{lv}p{p}" for lv in (1, 2, 3) for p in (1, 2, 3)}
    assert set(manifest["files"]) == {"encoder", "dec3", "dec2", "dec1"} | heads
    assert manifest["architecture"] == "l3c-pyramid"
    import hashlib

    for role, f in manifest["files"].items():
        b = (mdir / f["file"]).read_bytes()
        assert hashlib.sha256(b).hexdigest() == f["sha256"]
        assert f["file"] == f"{role}-{f['sha256'][:16]}.onnx"
    assert hashlib.sha256((mdir / "manifest.json").read_bytes()).hexdigest() == manifest["id"]


def _lsb_off(q: np.ndarray, ref: torch.Tensor, scale: float) -> np.ndarray:
    return np.abs((q.astype(np.float64) - 128) * scale - ref.double().numpy()) / scale


def test_integer_graphs_match_the_fake_quantized_model(exported):
    """Each integer graph, fed the same integer inputs as the torch fake-quant modules,
    reproduces their outputs up to rare 1-LSB rounding differences."""
    model, mdir, _ = exported
    im = IntModel(mdir)
    rng = np.random.default_rng(1)
    z1, z2, z3 = (rng.integers(0, 25, (1, 5, 16 >> s, 24 >> s)).astype(np.uint8) for s in range(3))
    real_z = lambda z: torch.from_numpy(z.astype(np.float32)) / 12.0 - 1.0
    deq = lambda q, act: torch.from_numpy((q.astype(np.float32) - 128) * float(act.scale))
    f3, z2p, _ = im.run("dec3", z3=z3)
    f2, z1p, _ = im.run("dec2", z2=z2, f3=f3)
    (f1,) = im.run("dec1", z1=z1, f2=f2)
    with torch.no_grad():
        r3 = model.up[2](model.dec[2](real_z(z3), None))
        r2 = model.up[1](model.dec[1](real_z(z2), deq(f3, model.dec[1].res_q)))
        r1 = model.dec[0](real_z(z1), deq(f2, model.dec[0].res_q))
        rz2 = model.z_heads[1](deq(f3, model.dec[1].res_q))
    for q, r, act in ((f3, r3, model.dec[1].res_q), (f2, r2, model.dec[0].res_q), (f1, r1, model.dec[0].res_q)):
        off = _lsb_off(q, r, float(act.scale))
        assert off.max() <= 2.0 + 1e-4
        assert (off > 0.5).mean() < 0.10  # rounding flips propagate within a graph
    # z(2) parameters: logits/log-scales in Q7, means in Q8 level units.
    c, k = model.cfg.C, model.cfg.K
    p_int = z2p[0].transpose(2, 0, 1).reshape(3, c * k, *z2p.shape[1:3]).astype(np.float64)
    p_ref = rz2.double().numpy().reshape(3, c * k, *z2p.shape[1:3])
    assert np.abs(p_int[0] - 128 * p_ref[0]).max() <= 2
    assert np.abs(p_int[1] - (256 * 12 * p_ref[1] + 3072)).max() <= 2
    assert np.abs(p_int[2] - 128 * p_ref[2]).max() <= 2


def test_onnx_encoder_matches_torch(exported):
    model, mdir, _ = exported
    im = IntModel(mdir)
    rng = np.random.default_rng(3)
    x = np.clip(128 + rng.normal(0, 30, (32, 48, 3)), 0, 255).astype(np.uint8)
    out = im.forward(x)
    with torch.no_grad():
        _, idx = model.encode(torch.from_numpy(x).permute(2, 0, 1)[None].float())
    for s in range(3):
        assert (idx[s].numpy() == out["z"][s]).mean() > 0.98


def test_integer_graphs_are_identical_in_onnxruntime_node_and_web(exported, tmp_path):
    if not (ROOT / "node_modules" / "onnxruntime-node").exists() or shutil.which("node") is None:
        pytest.fail("node_modules missing: run `npm ci` first (npm run setup)")
    _, mdir, manifest = exported
    im = IntModel(mdir)
    rng = np.random.default_rng(2)
    x = rng.integers(0, 256, (32, 40, 3)).astype(np.uint8)
    out = im.forward(x)
    z1, z2, z3 = out["z"]
    f3, z2p, h3 = im.run("dec3", z3=z3)
    f2, z1p, h2 = im.run("dec2", z2=z2, f3=f3)
    (f1,) = im.run("dec1", z1=z1, f2=f2)
    pix = np.ascontiguousarray(x.transpose(2, 0, 1)[:, ::2, ::2])[None]
    (p1,) = im.run("l1p1", f=f1, pix=pix)
    (pb,) = im.run("base", f=h3)
    arrays = {"z3": z3, "z2": z2, "z1": z1, "f3": f3, "f2": f2, "f1": f1, "z2p": z2p, "z1p": z1p, "pix": pix,
              "p1": p1, "h3": h3, "h2": h2, "pb": pb}
    for k, v in arrays.items():
        np.ascontiguousarray(v).tofile(tmp_path / f"{k}.bin")
    for role in ("dec3", "dec2", "dec1", "l1p1", "base"):
        shutil.copy(mdir / manifest["files"][role]["file"], tmp_path / f"{role}.onnx")
    t = {np.dtype("uint8"): "uint8", np.dtype("int32"): "int32"}
    io = lambda n: {"file": f"{n}.bin", "type": t[arrays[n].dtype], "dims": list(arrays[n].shape)}
    cases = [
        {"model": "dec3.onnx", "inputs": {"z3": io("z3")},
         "outputs": {"f3": io("f3"), "z2_params": io("z2p"), "h3": io("h3")}},
        {"model": "dec2.onnx", "inputs": {"z2": io("z2"), "f3": io("f3")},
         "outputs": {"f2": io("f2"), "z1_params": io("z1p"), "h2": io("h2")}},
        {"model": "dec1.onnx", "inputs": {"z1": io("z1"), "f2": io("f2")}, "outputs": {"f1": io("f1")}},
        {"model": "l1p1.onnx", "inputs": {"f": io("f1"), "pix": io("pix")}, "outputs": {"params": io("p1")}},
        {"model": "base.onnx", "inputs": {"f": io("h3")}, "outputs": {"params": io("pb")}},
    ]
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    r = subprocess.run(["node", str(ROOT / "scripts" / "ort-compare.mjs"), str(tmp_path)], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("same") == 2 * 2 * 4 * 9  # runtimes x threads x opt levels x outputs


def test_auto_steps_fits_the_schedule_to_the_time_budget(data, tmp_path):
    out = tmp_path / "auto"
    assert _train(data, out, 0, ["--auto-steps", "--total-steps", "1000000", "--minutes", "0.25"]) == 0
    log = [json.loads(l) for l in (out / "log.jsonl").read_text().splitlines()]
    fitted = [r["auto_total_steps"] for r in log if "auto_total_steps" in r]
    assert len(fitted) == 1 and 60 < fitted[0] < 1000000
    step = checkpoints.read_checkpoint(out / "checkpoint.pt")["step"]
    assert 60 <= step <= fitted[0]


def test_automatic_bf16_skips_widths_it_cannot_train_on_the_cpu(monkeypatch):
    from l3c import device as dev

    monkeypatch.setattr(dev, "bf16_supported", lambda d: True)
    cpu = torch.device("cpu")
    assert dev.bf16_trains(cpu, 32) and dev.bf16_trains(cpu, 48)
    assert not dev.bf16_trains(cpu, 24)
    monkeypatch.setattr(dev, "bf16_supported", lambda d: False)
    assert not dev.bf16_trains(cpu, 32)

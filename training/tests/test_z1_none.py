"""Models without z(1) (config z1 "none"): D(1) sees the middle level, no z(1) bits are
counted, and the exported D(2) graph has no z(1) prior."""

import numpy as np
import pytest
import torch

from l3c import checkpoints, onnx_export
from l3c import qat as l3c_qat
from l3c import train as l3c_train
from l3c.intmodel import IntModel, tile_bits
from l3c.model import L3C, ModelConfig

from helpers import make_images

TINY = ["--Cf", "8", "--B", "1", "--K", "2", "--batch", "2", "--crop", "32", "--small-crop", "32",
        "--bf16", "off", "--no-progress", "--val-crop", "32", "--threads", "1"]


def test_an_unknown_z1_value_is_refused():
    with pytest.raises(ValueError, match="z1 must be"):
        L3C(ModelConfig(Cf=8, B=1, K=2, rgb_context="pyramid", z1="mode"))


def test_d1_sees_the_middle_level_and_z1_costs_nothing():
    torch.manual_seed(5)
    coded = L3C(ModelConfig(Cf=8, B=1, K=2, rgb_context="pyramid")).eval()
    with torch.no_grad():  # an encoder that makes a varied z(1) (a fresh one starts constant)
        for p in coded.enc[0].to_z.parameters():
            p.normal_(0.0, 0.5)
    free = L3C(ModelConfig(Cf=8, B=1, K=2, rgb_context="pyramid", z1="none")).eval()
    free.load_state_dict(coded.state_dict())
    x = torch.randint(0, 256, (2, 3, 32, 32)).float()
    with torch.no_grad():
        zs, _ = free.encode(x)
        assert len(torch.unique(zs[0])) > 1  # the encoder still makes a z(1); it is not sent
        free.decode_all(zs)
        assert torch.equal(zs[0], torch.zeros_like(zs[0]))
        bx_c, bz_c = coded(x)
        bx_f, bz_f = free(x)
    # the same z(2) and z(3) bits; z(1)'s are gone (they are positive in the coded model)
    zs, _ = coded.encode(x)
    feats, _ = coded.decode_all(zs)
    lp = coded.split_z(coded.z_heads[0](feats[1]))
    assert lp[0].shape[-2:] == zs[0].shape[-2:]
    assert torch.all(bz_f < bz_c)
    assert not torch.equal(bx_f, bx_c)  # D(1) saw other z(1)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    d = tmp_path_factory.mktemp("z1none")
    data = make_images(d / "data", n=6)
    assert l3c_train.main(["--data", str(data), "--out", str(d), "--cache", str(d / "cache"), "--total-steps", "10",
                           "--max-steps", "1", "--minutes", "10", "--z1", "none", *TINY]) == 0
    assert checkpoints.read_checkpoint(d / "checkpoint.pt")["config"]["z1"] == "none"
    assert l3c_qat.main(["--ckpt", str(d / "checkpoint.pt"), "--out", str(d / "qat.pt"), "--data", str(data),
                         "--cache", str(d / "cache"), "--max-steps", "1", "--calib-batches", "1", "--batch", "2",
                         "--crop", "32", "--val-crop", "32", "--no-progress"]) == 0
    model = checkpoints.load_qat_model(d / "qat.pt")
    manifest = onnx_export.export(model, d / "models", "tiny-z1none")
    return d / "models" / "tiny-z1none", manifest


def test_the_export_has_no_z1_prior_and_the_integer_path_codes_no_z1(exported):
    mdir, manifest = exported
    assert manifest["config"]["z1"] == "none"
    im = IntModel(mdir)
    assert [o.name for o in im.sess["dec2"].get_outputs()] == ["f2", "h2"]
    rng = np.random.default_rng(2)
    tile = rng.integers(0, 256, (16, 24, 3)).astype(np.uint8)
    bx, bz = tile_bits(im, tile)
    out = im.forward(tile)
    assert out["zp"][0] is None
    assert np.all(out["z"][0] == 12)  # what D(1) saw: the middle level
    assert bx > 0 and bz > 0

"""z(1) at the mode of its prior (the encoder policy of adaptive models), as trained."""

import torch

from l3c import mixture
from l3c.fixed_point import z_half
from l3c.model import L3C, ModelConfig


def tiny() -> L3C:
    torch.manual_seed(3)
    m = L3C(ModelConfig(Cf=8, B=1, K=3, rgb_context="pyramid"))
    with torch.no_grad():  # spread the z prior so that its mode varies with position
        for p in m.z_heads[0].parameters():
            p.normal_(0.0, 0.5)
    return m.eval()


def test_mode_is_the_argmax_of_the_prior():
    m = tiny()
    x = torch.randint(0, 256, (2, 3, 32, 32)).float()
    zs, _ = m.encode(x)
    feats, _ = m.decode_all(zs)
    mode = m.z_mode(1, feats[1])
    logits, means, ls = m.split_z(m.z_heads[0](feats[1]))
    lps = torch.stack(
        [mixture.log_prob(torch.full(mode.shape, float(v)), logits, means, ls, m.cfg.L) for v in range(m.cfg.L)]
    )
    want = lps.argmax(dim=0).float() / z_half(m.cfg.L) - 1.0
    assert torch.equal(mode, want)
    assert len(torch.unique(mode)) > 1


def test_decode_all_sends_the_mode_and_training_sees_it():
    m = tiny()
    x = torch.randint(0, 256, (2, 3, 32, 32)).float()
    zs, _ = m.encode(x)
    enc_z1 = zs[0].clone()
    m.decode_all(zs)
    assert torch.equal(zs[0], enc_z1)  # off: the encoder's z(1)
    m.z1_mode = True
    feats, _ = m.decode_all(zs)
    assert torch.equal(zs[0], m.z_mode(1, feats[1]))
    assert not torch.equal(zs[0], enc_z1)
    # the loss is the mode's: its z(1) bits are those of the most probable symbols
    m.train()
    bx, bz = m(x)
    assert torch.isfinite(bx).all() and torch.isfinite(bz).all()
    bx.sum().backward()
    assert m.dec[0].conv_in.weight.grad is not None

"""prune_start: a narrower, shallower model with fewer mixture components starts from a
bigger checkpoint's weights, each channel group cut where its layer lays it out."""

import torch

from l3c.checkpoints import prune_start, save_checkpoint
from l3c.model import L3C, ModelConfig


def test_prune_start_keeps_each_group_s_first_channels(tmp_path):
    torch.manual_seed(0)
    big = L3C(ModelConfig(Cf=16, B=3, K=4, rgb_context="pyramid"))
    with torch.no_grad():
        for p in big.parameters():
            p.normal_()
    path = tmp_path / "big.pt"
    save_checkpoint(path, {"config": big.cfg.to_dict(), "model": big.state_dict()})
    small = L3C(ModelConfig(Cf=8, B=2, K=2, rgb_context="pyramid"))
    assert prune_start(small, path) > 0
    b, s = big.state_dict(), small.state_dict()
    # residual streams and blocks: the first channels, the first B blocks
    assert torch.equal(s["dec.0.blocks.1.c2.weight"], b["dec.0.blocks.1.c2.weight"][:8, :8])
    assert "dec.0.blocks.2.c1.weight" not in s
    # upsampler: channel c's four sub-pixel outputs are rows 4c .. 4c + 3
    assert torch.equal(s["up.1.conv.weight"], b["up.1.conv.weight"][:32, :8])
    # a pixel head's input: the first features, then every pixel channel
    w = b["level_heads.l1p2.c1.weight"]
    assert torch.equal(s["level_heads.l1p2.c1.weight"], torch.cat([w[:8, :8], w[:8, 16:]], dim=1))
    # mixture outputs: the first K of each (kind, channel)
    o = b["level_heads.l1p2.out.weight"].view(4, 3, 4, 16, 1, 1)
    assert torch.equal(s["level_heads.l1p2.out.weight"], o[:, :, :2, :8].reshape(24, 8, 1, 1))
    # a z head's output reads three dilated branches of Cf // 2 channels
    z = b["z_heads.0.out.weight"].view(3, 5, 4, 3, 8, 1, 1)
    assert torch.equal(s["z_heads.0.out.weight"], z[:, :, :2, :, :4].reshape(30, 12, 1, 1))
    # and the pruned model runs
    x = torch.randint(0, 256, (1, 3, 32, 32)).float()
    out = small(x)
    assert out is not None

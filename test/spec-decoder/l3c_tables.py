"""Normative tables of SPEC.md §1.4, regenerated from their definitions with `decimal`."""
import hashlib
import struct
from decimal import Decimal, localcontext, ROUND_HALF_UP

TABLES_SHA = "9e371d2861572d5f273fb772f8657b378fd2aa38056559263392607d688a51a5"
TAU_SHA = "a5ed54eebd5fe48d15aca7bb25873ae9e9c639047d81aedcaecaf21c0ed956e6"


def _round_half_up(d):
    return int(d.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _gen():
    with localcontext() as ctx:
        ctx.prec = 50
        return _gen_in_context()


def _gen_in_context():
    two20 = Decimal(2) ** 20
    sig = [_round_half_up(two20 / (1 + (Decimal(-i) / 128).exp())) for i in range(2049)]
    ex = [_round_half_up(two20 * (Decimal(-(i - 512)) / 128).exp()) for i in range(2561)]
    tau = [float(((Decimal(j - 77) + Decimal(1) / 2) / 64).exp()) for j in range(141)]
    return sig, ex, tau


SIGMOID_Q20, EXP_Q20, ADAPT_TAU_U = _gen()
ADAPT_TAU_MIN = -77


def check():
    text = ",".join(map(str, SIGMOID_Q20)) + ";" + ",".join(map(str, EXP_Q20))
    assert hashlib.sha256(text.encode("ascii")).hexdigest() == TABLES_SHA, "SIGMOID/EXP hash"
    raw = b"".join(struct.pack("<d", t) for t in ADAPT_TAU_U)
    assert hashlib.sha256(raw).hexdigest() == TAU_SHA, "ADAPT_TAU_U hash"
    assert SIGMOID_Q20[0] == 2 ** 19 and EXP_Q20[512] == 2 ** 20 and EXP_Q20[0] == 57250310


check()

"""The pixel stages: in which order the RGB scale is coded, each from which decoder's
features and which already coded pixels. The one schedule that the model (training), the
exporter (one graph per stage, named by its role) and the integer path follow;
shared/l3c-model.ts is the codec's copy (the normative symbol order), and the conformance
vectors and the tests that compare the integer graphs with the torch model pin them to
each other.

* ``phase4``: x is split into its 2x2 polyphase components, coded in the order of
  ``PHASES``; stage ``head{p}`` codes phase p from f(1) (D(1)'s features) and the pixels
  of phases < p.
* ``pyramid``: the split at every scale. Stage ``base`` codes x[::8, ::8] from D(3)'s
  features; then for level 3, 2, 1 (x[::4, ::4], x[::2, ::2], x) stages ``l{level}p{p}``
  code phases p = 1, 2, 3 of that level from D(level)'s features, the level's phase-0
  pixels (coded by the coarser stages) and its phases < p.
"""

from __future__ import annotations

from dataclasses import dataclass

PHASES = ((0, 0), (1, 1), (0, 1), (1, 0))
"""The 2x2 polyphase components (dy, dx) in coding order."""


@dataclass(frozen=True)
class Stage:
    role: str
    """The head and its graph: head0..head3, base, l{level}p{phase}."""
    level: int
    """The decoder D(level) whose features the stage reads."""
    phase: int
    """Its polyphase component (PHASES); it also sees the pixels of phases < phase of its level."""
    step: int
    """It codes x[oy::step, ox::step]."""
    oy: int
    ox: int
    feature_input: str
    """The name of its graph's features input: "f1" (phase4), "f" (pyramid)."""

    @property
    def opens_level(self) -> bool:
        """A pyramid level's first stage: its context starts with the level's phase-0 pixels,
        x[::step, ::step], which coarser stages coded."""
        return self.phase == 1 and self.role.startswith("l")


def pixel_stages(rgb_context: str, S: int = 3) -> tuple[Stage, ...]:
    """The stages of an architecture in coding order (none for "none": one full-resolution head)."""
    if rgb_context == "phase4":
        return tuple(Stage(f"head{p}", 1, p, 2, dy, dx, "f1") for p, (dy, dx) in enumerate(PHASES))
    if rgb_context == "pyramid":
        out = [Stage("base", S, 0, 2**S, 0, 0, "f")]
        for lv in range(S, 0, -1):
            h = 2 ** (lv - 1)
            out += [Stage(f"l{lv}p{p}", lv, p, 2 * h, PHASES[p][0] * h, PHASES[p][1] * h, "f") for p in (1, 2, 3)]
        return tuple(out)
    return ()

"""Write the bundled profiles of meshes/profiles/ (JSON, metres) from physsynth's generators.

    python meshes/profiles/make_profiles.py

Deterministic: the same code gives the same files. Each profile's source is in its "source"
entry and in meshes/profiles/README.md.
"""

from __future__ import annotations

import json
from pathlib import Path

from physsynth.profiles import bell_profile, bowl_profile, glass_profile

HERE = Path(__file__).parent

PROFILES = {
    # The geometry of meshes/make_bowl.py with its defaults (the 3D mesh tibetan_bowl_180.msh).
    "tibetan_bowl_180": (
        bowl_profile(),
        "meshes/make_bowl.py defaults: 180 mm Tibetan singing bowl (the section of tibetan_bowl_180.msh)",
    ),
    # A hand bell, 100 mm across: thin waist, sound bow twice as thick.
    "hand_bell": (
        bell_profile(diameter=0.100, height=0.075, t_waist=0.0022, t_lip=0.0045, crown=0.45, flare=0.15),
        "physsynth.profiles.bell_profile(diameter=0.100, height=0.075, t_waist=0.0022, t_lip=0.0045)",
    ),
    # A church bell of 0.6 m: height 0.8 D, sound-bow thickness D/13, waist D/35.
    "church_bell": (
        bell_profile(diameter=0.60),
        "physsynth.profiles.bell_profile(diameter=0.60): founders' proportions (sound bow D/13, height 0.8 D), "
        "not a measured foundry profile",
    ),
    "wine_glass": (glass_profile(), "physsynth.profiles.glass_profile() defaults"),
}


def main() -> None:
    for name, (prof, source) in PROFILES.items():
        data = {
            "units": "m",
            "source": source,
            "outer": prof.outer.round(9).tolist(),
            "inner": prof.inner.round(9).tolist(),
        }
        (HERE / f"{name}.json").write_text(json.dumps(data, indent=1) + "\n")
        print(f"{name}: volume {prof.volume() * 1e6:.2f} cm^3, {len(prof.loop)} vertices")


if __name__ == "__main__":
    main()

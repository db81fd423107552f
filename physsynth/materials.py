"""Materials: isotropic linear-elastic constants with a damping law, and a named library.

All values are SI: Young's modulus E in Pa, Poisson's ratio nu (dimensionless), density rho in
kg/m^3. Every library entry names its source. Values of real alloys and woods scatter by
several percent; the ones here are typical handbook values, not the properties of one sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from physsynth import validate
from physsynth.damping import DampingLaw, LossFactor
from physsynth.errors import MaterialError

_CREMER = (
    "loss factor: Cremer, Heckl & Petersson, Structure-Borne Sound, 3rd ed. (Springer 2005), "
    "table of material properties (ch. 3)"
)


@dataclass(frozen=True)
class Material:
    """An isotropic linear-elastic material.

    Parameters
    ----------
    name : str
        Library key or "custom".
    E : float, Pa
        Young's modulus, > 0.
    nu : float
        Poisson's ratio, -1 < nu < 0.5.
    rho : float, kg/m^3
        Density, > 0.
    damping : DampingLaw
        Decay rate of each mode from its frequency.
    source : str
        Where the values come from.
    """

    name: str
    E: float
    nu: float
    rho: float
    damping: DampingLaw = field(default_factory=lambda: LossFactor(1e-3))
    source: str = "user-supplied"
    description: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str):
            raise MaterialError(f"a material's name is text, got {self.name!r}")
        for key, unit in (("E", "Pa"), ("nu", ""), ("rho", "kg/m^3")):
            v = validate.finite(getattr(self, key), f"material {self.name!r}: {key}", unit, error=MaterialError)
            object.__setattr__(self, key, v)  # frozen: store the checked float
        if self.E <= 0:
            raise MaterialError(f"material {self.name!r}: Young's modulus E={self.E:g} Pa must be > 0")
        if self.rho <= 0:
            raise MaterialError(f"material {self.name!r}: density rho={self.rho:g} kg/m^3 must be > 0")
        if not -1.0 < self.nu < 0.5:
            raise MaterialError(
                f"material {self.name!r}: Poisson's ratio nu={self.nu:g} must satisfy -1 < nu < 0.5 "
                "(nu >= 0.5 is incompressible, which linear elasticity with displacements cannot model)"
            )
        if not isinstance(self.damping, DampingLaw):
            raise MaterialError(f"material {self.name!r}: damping must be a DampingLaw")

    @property
    def lame(self) -> tuple[float, float]:
        """Lame parameters (lambda, mu) in Pa."""
        lam = self.E * self.nu / ((1 + self.nu) * (1 - 2 * self.nu))
        mu = self.E / (2 * (1 + self.nu))
        return lam, mu

    @property
    def bar_speed(self) -> float:
        """Longitudinal wave speed in a thin bar, sqrt(E / rho), m/s."""
        return math.sqrt(self.E / self.rho)

    def with_damping(self, damping: DampingLaw) -> Material:
        """A copy of this material with another damping law."""
        return replace(self, damping=damping)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "E": self.E,
            "nu": self.nu,
            "rho": self.rho,
            "damping": self.damping.to_dict(),
            "source": self.source,
            "description": self.description,
        }

    @staticmethod
    def from_dict(d: dict) -> Material:
        """The material :meth:`to_dict` wrote; a missing or bad entry is a MaterialError naming it."""
        if not isinstance(d, dict):
            raise MaterialError(f"a material is a table of name, E, nu, rho and damping, got {d!r}")
        missing = [k for k in ("name", "E", "nu", "rho", "damping") if k not in d]
        if missing:
            raise MaterialError(f"material table lacks {', '.join(missing)}")
        return Material(
            name=d["name"],
            E=d["E"],
            nu=d["nu"],
            rho=d["rho"],
            damping=DampingLaw.from_dict(d["damping"]),
            source=str(d.get("source", "")),
            description=str(d.get("description", "")),
        )


def _m(name, E, nu, rho, eta, source, description):
    return Material(name, E, nu, rho, LossFactor(eta), source, description)


#: The named library. Keys are what ``--material`` accepts.
LIBRARY: dict[str, Material] = {
    m.name: m
    for m in (
        _m(
            "steel",
            200e9,
            0.29,
            7850,
            2e-4,
            "E, nu, rho: typical carbon steel, ASM Metals Handbook Desk Ed. (1998); " + _CREMER + " (steel 1e-4..6e-4)",
            "carbon steel",
        ),
        _m(
            "stainless_steel",
            193e9,
            0.29,
            8000,
            2e-4,
            "E, nu, rho: AISI 304, ASM Metals Handbook Desk Ed. (1998); loss factor as steel",
            "austenitic stainless steel (304)",
        ),
        _m(
            "aluminium",
            70e9,
            0.33,
            2700,
            1e-4,
            "E, nu, rho: typical wrought aluminium alloy, ASM Metals Handbook Desk Ed. (1998); "
            + _CREMER
            + " (aluminium 1e-4)",
            "aluminium alloy",
        ),
        _m(
            "brass",
            100e9,
            0.34,
            8500,
            5e-4,
            "E, nu, rho: cartridge brass C26000, ASM Metals Handbook Desk Ed. (1998); " + _CREMER + " (brass < 1e-3)",
            "brass (70Cu-30Zn)",
        ),
        _m(
            "bell_bronze",
            105e9,
            0.34,
            8700,
            2e-4,
            "E, nu, rho: high-tin bell metal (78-80 % Cu, 20-22 % Sn), typical values used in "
            "bell and gong studies, Fletcher & Rossing, The Physics of Musical Instruments, "
            "2nd ed. (1998), ch. 20-21 (E 100-110 GPa, rho 8600-8800); loss factor of order "
            "1e-4 for bell metal, ibid.",
            "bell metal / singing-bowl bronze",
        ),
        _m(
            "copper",
            125e9,
            0.34,
            8900,
            2e-3,
            "E, nu, rho: " + _CREMER.replace("loss factor: ", "") + " (copper: E 125 GPa, eta 2e-3)",
            "copper",
        ),
        _m(
            "glass",
            70e9,
            0.22,
            2500,
            1e-3,
            "E, nu, rho: soda-lime glass, typical handbook values; " + _CREMER + " (glass 6e-4..2e-3)",
            "soda-lime glass",
        ),
        _m(
            "spruce",
            11e9,
            0.30,
            450,
            8e-3,
            "isotropic approximation with the along-grain modulus of Sitka spruce, Wood Handbook, "
            "USDA FPL-GTR-190 (2010), table 5-3a; loss factor along grain about 8e-3, "
            "Haines, Catgut Acoust. Soc. Newsl. 31 (1979)",
            "wood approximated as isotropic (real wood is orthotropic: cross-grain E is ~1/12)",
        ),
        _m(
            "pmma",
            3.2e9,
            0.35,
            1190,
            3e-2,
            "E, nu, rho: typical PMMA (acrylic); " + _CREMER + " (plexiglass 2e-2..4e-2)",
            "acrylic glass",
        ),
    )
}

#: Other names users type for library entries.
ALIASES = {
    "aluminum": "aluminium",
    "bronze": "bell_bronze",
    "wood": "spruce",
    "acrylic": "pmma",
    "stainless": "stainless_steel",
}


def get_material(name: str) -> Material:
    """Look a material up by name (case-insensitive; a few aliases accepted).

    Raises
    ------
    MaterialError
        If the name is unknown; the message lists the known names.
    """
    if not isinstance(name, str):
        raise MaterialError(f"a material name is text (e.g. 'steel'), got {name!r}")
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    key = ALIASES.get(key, key)
    try:
        return LIBRARY[key]
    except KeyError:
        known = ", ".join(sorted(LIBRARY))
        raise MaterialError(
            f"unknown material {name!r}; known materials: {known} (or give --E, --nu and --rho for a custom one)"
        ) from None


def custom_material(
    E: float, nu: float, rho: float, *, damping: DampingLaw | None = None, name: str = "custom"
) -> Material:
    """A material from its constants (Pa, -, kg/m^3); checked for physical sense.

    Raises
    ------
    MaterialError
        E or rho not finite and > 0, nu outside (-1, 0.5), or a value that is not a number.
    """
    return Material(name, E, nu, rho, LossFactor(1e-3) if damping is None else damping)

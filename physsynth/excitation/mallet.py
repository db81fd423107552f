"""Physical mallets: a point mass with a Hertzian or felt tip, time-stepped with the object.

A mallet of mass m arrives at the surface with velocity v. While it touches, the force is a
function of the compression delta (mallet position minus the surface's, along the strike
direction) and, for lossy tips, of its history or rate (docs/contact-theory.md):

- **Hertz** (elastic sphere of radius R on a flat elastic body; Johnson, *Contact Mechanics*,
  1985, eq. 4.23): F = K delta^(3/2), K = (4/3) E* sqrt(R), 1/E* = (1 - nu1^2)/E1 +
  (1 - nu2^2)/E2 (tip and object materials). The object's curvature is neglected (R_eff = R)
  and its *global* compliance comes from its modes, which are time-stepped with the mallet.
- **Felt** (Stulov, JASA 97(4), 1995, eq. (3)): F = Q0 [delta^p - (eps/tau) int delta^p(s)
  exp((s - t)/tau) ds], a power law with hereditary relaxation: the unloading branch lies
  below the loading one (hysteresis), energy is lost in the felt.
- **Hunt & Crossley** (J. Appl. Mech. 42, 1975): F = K delta^alpha (1 + lam delta'), an
  optional rate-dependent loss for any tip.

The contact time and peak force then come out of the simulation (harder tip, faster stroke:
shorter contact, brighter sound), with rebound and repeated bounces when the object is light.
The time stepping is ``physsynth.simulate.contact`` (``mallet_strike`` and ``impact`` there and
in ``physsynth.simulate.score``); this module holds the mallets and their contact laws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from physsynth import validate
from physsynth.errors import PhyssynthError


class MalletError(PhyssynthError):
    """Unknown mallet name or non-physical mallet parameters."""


@dataclass(frozen=True)
class ContactLaw:
    """A contact force law F(delta) with optional losses (see the module docstring).

    Attributes
    ----------
    K : float, N / m^alpha
        Stiffness. For the hereditary (felt) law this is Stulov's Q0, the instantaneous
        stiffness; the slow-loading stiffness is Q0 (1 - eps).
    alpha : float
        Exponent, >= 1 (3/2 for Hertz).
    eps : float
        Stulov's hereditary amplitude, 0 <= eps < 1 (0: elastic).
    tau : float, s
        Stulov's relaxation time (used when eps > 0).
    lam : float, s/m
        Hunt-Crossley damping, >= 0.
    """

    K: float
    alpha: float = 1.5
    eps: float = 0.0
    tau: float = 1e-5
    lam: float = 0.0

    def __post_init__(self):
        for key in ("K", "alpha", "eps", "tau", "lam"):
            val = getattr(self, key)
            if not isinstance(val, (int, float)) or not math.isfinite(val):
                raise MalletError(f"contact law: {key}={val!r} is not a finite number")
        if self.K <= 0:
            raise MalletError(f"contact stiffness K={self.K:g} must be > 0 N/m^alpha")
        if not 1.0 <= self.alpha <= 5.0:
            raise MalletError(f"contact exponent alpha={self.alpha:g} must lie in [1, 5] (3/2 for Hertz, 2-4 for felt)")
        if not 0.0 <= self.eps < 1.0:
            raise MalletError(f"hysteresis eps={self.eps:g} must lie in [0, 1)")
        if self.tau <= 0:
            raise MalletError(f"relaxation time tau={self.tau:g} s must be > 0")
        if self.lam < 0:
            raise MalletError(f"Hunt-Crossley damping lam={self.lam:g} s/m must be >= 0")

    def rigid_contact_time(self, mass: float, velocity: float) -> float:
        """Contact time (s) of the elastic part K delta^alpha against an immobile body:
        T = (2 delta_m / v) B(1/(alpha+1), 1/2) / (alpha + 1) (:func:`power_law_contact_time`)."""
        return power_law_contact_time(mass, self.K, velocity, self.alpha)


@dataclass(frozen=True)
class Mallet:
    """A mallet: its head's mass, tip and a default stroke velocity.

    Attributes
    ----------
    name : str
    mass : float, kg
        Effective mass of the head (and the part of the shaft that moves with it).
    radius : float, m
        Tip radius of curvature (Hertz tips).
    E : float or None, Pa
        Young's modulus of an elastic (Hertz) tip; None for a felt law.
    nu : float or None
        Poisson's ratio of the tip.
    felt : ContactLaw or None
        A power law given directly (felt): used instead of Hertz when set.
    lam : float, s/m
        Hunt-Crossley damping added to a Hertz tip (0: elastic).
    velocity : float, m/s
        Default impact velocity.
    source : str
        Where the numbers come from.
    """

    name: str
    mass: float
    radius: float
    E: float | None = None
    nu: float | None = None
    felt: ContactLaw | None = None
    lam: float = 0.0
    velocity: float = 1.0
    source: str = "user-supplied"

    def __post_init__(self):
        for key in ("mass", "radius", "velocity"):
            val = getattr(self, key)
            if not isinstance(val, (int, float)) or not math.isfinite(val) or val <= 0:
                raise MalletError(f"mallet {self.name!r}: {key}={val!r} must be a number > 0")
        if self.felt is None:
            if self.E is None or self.nu is None:
                raise MalletError(f"mallet {self.name!r}: give E and nu (a Hertz tip) or a felt law")
            if not (math.isfinite(self.E) and self.E > 0):
                raise MalletError(f"mallet {self.name!r}: E={self.E!r} Pa must be > 0")
            if not -1.0 < self.nu < 0.5 + 1e-12:
                raise MalletError(f"mallet {self.name!r}: nu={self.nu!r} must lie in (-1, 0.5]")
        if not (math.isfinite(self.lam) and self.lam >= 0):
            raise MalletError(f"mallet {self.name!r}: lam={self.lam!r} s/m must be >= 0")

    def law(self, material=None) -> ContactLaw:
        """The contact law against an object of ``material`` (a Material, or None: rigid).

        For a Hertz tip, K = (4/3) E* sqrt(R) with 1/E* = (1 - nu_t^2)/E_t + (1 - nu_o^2)/E_o
        (Johnson 1985, eqs. 4.22-4.23); a membrane's "material" (tension, no elastic
        constants) counts as rigid locally. A felt law is used as given: felt is orders of
        magnitude softer than the objects it strikes.
        """
        if self.felt is not None:
            return self.felt
        inv = (1.0 - self.nu**2) / self.E
        if material is not None and getattr(material, "name", "") != "membrane":
            inv += (1.0 - material.nu**2) / material.E
        return ContactLaw(K=4.0 / 3.0 / inv * math.sqrt(self.radius), alpha=1.5, lam=self.lam)

    def with_(self, **changes) -> Mallet:
        """A copy with some fields changed (mass=..., velocity=..., ...)."""
        return replace(self, **changes)


def power_law_contact_time(mass: float, K: float, velocity: float, alpha: float = 1.5) -> float:
    """Contact time (s) of a mass m hitting an immobile spring F = K delta^alpha at speed v.

    Energy conservation gives the largest compression delta_m = ((alpha + 1) m v^2 /
    (2 K))^(1/(alpha+1)) and T = 2 int_0^delta_m d delta / delta' = (2 delta_m / v)
    B(1/(alpha+1), 1/2) / (alpha + 1). For Hertz (alpha = 3/2) this is Johnson's (1985,
    eq. 11.24) T = 2.943 delta_m / v = 3.218 (m / K)^(2/5) v^(-1/5), which with
    K = (4/3) E* sqrt(R) is the familiar 2.868 (m^2 / (E*^2 R v))^(1/5).
    """

    dm = ((alpha + 1.0) * mass * velocity**2 / (2.0 * K)) ** (1.0 / (alpha + 1.0))
    from scipy.special import beta

    return 2.0 * dm / velocity * beta(1.0 / (alpha + 1.0), 0.5) / (alpha + 1.0)


def power_law_peak_force(mass: float, K: float, velocity: float, alpha: float = 1.5) -> float:
    """Peak force (N) of the same impact: K delta_m^alpha; for Hertz K^(2/5) (5 m v^2 / 4)^(3/5)."""
    dm = ((alpha + 1.0) * mass * velocity**2 / (2.0 * K)) ** (1.0 / (alpha + 1.0))
    return K * dm**alpha


_ASHBY = "Ashby & Jones, Engineering Materials 1, 4th ed. (2012), table 3.1: elastomers E = 0.01-0.1 GPa, nu ~ 0.5"
_WOOD = (
    "USDA Forest Products Laboratory, Wood Handbook FPL-GTR-190 (2010), ch. 5: hardwoods "
    "E_L ~ 12-15 GPa along the grain, E_R / E_L ~ 0.1 across it (the direction a round "
    "head is loaded in); isotropic approximation"
)
_HEAD = (
    "head mass and tip radius: typical hand-held percussion mallet heads (15-40 g, "
    "10-15 mm radius), a choice, not a measurement"
)

#: Mallet presets. The tips' elastic constants come from the sources named; the head masses
#: and radii are typical values (see each ``source``).
MALLETS = {
    "felt": Mallet(
        "felt",
        mass=0.025,
        radius=0.015,
        felt=ContactLaw(K=4.5e9 / (1 - 0.9), alpha=2.5, eps=0.9, tau=1e-5),
        velocity=1.0,
        source="felt law: exponent p = 2.5 and slow-loading stiffness Q0 (1 - eps) = 4.5e9 N/m^2.5 "
        "of a C4 piano hammer (Chaigne & Askenfelt, JASA 95(2), 1994, table I); "
        "hysteresis eps = 0.9, tau = 10 us: illustrative values in the range Stulov "
        "(JASA 97(4), 1995) reports for hammer felt; " + _HEAD,
    ),
    "rubber": Mallet(
        "rubber",
        mass=0.02,
        radius=0.0125,
        E=0.05e9,
        nu=0.49,
        velocity=1.0,
        source=f"E = 0.05 GPa, nu = 0.49: {_ASHBY}; {_HEAD}",
    ),
    "wood": Mallet(
        "wood",
        mass=0.02,
        radius=0.01,
        E=1.5e9,
        nu=0.35,
        velocity=1.0,
        source=f"E = 1.5 GPa, nu = 0.35: {_WOOD}; {_HEAD}",
    ),
    "plastic": Mallet(
        "plastic",
        mass=0.02,
        radius=0.01,
        E=3.2e9,
        nu=0.35,
        velocity=1.0,
        source=f"acrylic (PMMA) E = 3.2 GPa, nu = 0.35, as physsynth's material library 'pmma'; {_HEAD}",
    ),
    "metal": Mallet(
        "metal",
        mass=0.03,
        radius=0.008,
        E=200e9,
        nu=0.29,
        velocity=1.0,
        source=f"carbon steel E = 200 GPa, nu = 0.29, as physsynth's material library 'steel'; {_HEAD}",
    ),
}


def get_mallet(name) -> Mallet:
    """A preset mallet by name (``felt``, ``rubber``, ``wood``, ``plastic``, ``metal``), or a
    Mallet passed through."""
    if isinstance(name, Mallet):
        return name
    try:
        return MALLETS[str(name).lower()]
    except KeyError:
        raise MalletError(
            f"unknown mallet {name!r}; use one of {', '.join(MALLETS)} (physical) "
            "or soft, medium, hard (half-sine pulses)"
        ) from None


def check_velocity(velocity) -> float:
    """An impact velocity (m/s): finite, > 0 and below 50 m/s (beyond, no mallet survives)."""
    return validate.positive(velocity, "impact velocity", "m/s", hi=50.0, error=MalletError)

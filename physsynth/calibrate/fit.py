"""A ModalModel fitted to the partials of a recording.

The computed modes are paired with the measured partials (:func:`pair_modes`): a frequency
scale is searched for that lines the model's pattern of frequency ratios up with the
recording's (every pairing of a strong partial with a mode proposes one), the pairs are then
assigned one to one by least cents (a Hungarian assignment, so the two members of a measured
doublet go to the two modes of a degenerate pair), and the scale is refined by least squares
on log frequency. Then (:func:`fit_model`):

- **the material or geometric scale**: every frequency of an elastic body scales as
  sqrt(E / rho), and as 1 / a for a solid scaled by a (its mesh with it), as h for a plate of
  thickness h; so one fitted frequency scale s sets E (x s^2), rho (/ s^2), the thickness (x s)
  or the size (/ s) exactly, with the modal shapes kept (re-normalised to the new mass where the
  mass changes) and no new eigen-solve. These all scale every frequency alike: only one of them
  can be fitted. Poisson's ratio changes the ratios: fitting it re-solves the modes at two
  values and interpolates each mode's log frequency linearly in nu;
- **a damping law** through the measured decay rates: a loss factor eta (f / f_ref)^p
  (:class:`~physsynth.damping.LossFactor`, a straight line in log eta against log f), Rayleigh
  damping sigma = (alpha + beta omega^2) / 2 (non-negative least squares), or per mode: each
  paired mode its measured rate, the others the loss-factor law's;
- **the gain**: the level of the recording over that of the model struck and read at the
  same point, so a resynthesis (:func:`resynthesise`) stands beside the recording.

A recording that does not look like the object (too few of its strong partials fall near
any scaled mode, or the pattern fits only loosely) is refused with what was found
(:class:`FitError`), never fitted with confidence.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import linear_sum_assignment, nnls

from physsynth import validate
from physsynth.calibrate.esprit import Analysis, analyse
from physsynth.damping import LossFactor, Rayleigh
from physsynth.errors import PhyssynthError
from physsynth.excitation.strike import strike
from physsynth.measure import cents, spectral_loss
from physsynth.mesh import Mesh
from physsynth.modal.analysis import modal_analysis
from physsynth.modal.model import ModalModel
from physsynth.pickups import pickup
from physsynth.simulate.linear import render

__all__ = [
    "DAMPING_LAWS",
    "SCALES",
    "Fit",
    "FitError",
    "fit_model",
    "locate_strike",
    "pair_modes",
    "resynthesise",
    "scaled",
    "score",
]

#: What a frequency scale can be put down to (each scales every frequency alike).
SCALES = ("E", "rho", "thickness", "size")
#: Damping laws :func:`fit_model` fits.
DAMPING_LAWS = ("loss", "rayleigh", "per-mode")
#: A partial is paired with a mode within this many cents of it (after scaling): an FEM
#: model of a good mesh is within a few cents of its object, a real object's modes a few tens
#: of cents off the ideal shape's.
PAIR_CENTS = 35.0
#: Least share of the strong partials (within 30 dB of the strongest, in the model's range)
#: that must pair with a mode for the recording to count as the object's.
MIN_SHARE = 0.5
#: Fewest pairs a fit needs.
MIN_PAIRS = 3
#: Widest RMS cents error of the pairs after the scale fit that still counts as a fit (a
#: different object whose partials happen to fall near some modes scatters much more).
MAX_RMS_CENTS = 15.0


class FitError(PhyssynthError):
    """The recording and the model cannot be fitted together (too few partials pair up)."""


@dataclass(frozen=True)
class Fit:
    """A calibrated model and how it was reached.

    Attributes
    ----------
    model : ModalModel
        The calibrated model.
    initial : ModalModel
        The model it started from.
    analysis : Analysis
        The recording's partials.
    scale : float
        Frequency scale applied (calibrated / initial).
    parameters : dict
        The fitted values: ``E`` (Pa), ``rho`` (kg/m^3), ``nu``, ``thickness`` (m), ``size``
        (the factor on the mesh), as varied; the damping law's; ``gain``.
    modes, partials : ndarray of int, shape (n_pairs,)
        The pairs: mode index in the model, partial index in the analysis.
    unmatched : ndarray of int
        Partials paired with no mode.
    warnings : tuple of str
    """

    model: ModalModel
    initial: ModalModel
    analysis: Analysis
    scale: float
    parameters: dict
    modes: np.ndarray
    partials: np.ndarray
    unmatched: np.ndarray
    warnings: tuple = field(default_factory=tuple)
    scores: dict = field(default_factory=dict)

    def errors(self, model: ModalModel | None = None) -> dict:
        """Per pair: cents error of the model's frequency, and T60 error (%), for ``model``
        (default the calibrated one; ``self.initial`` for "before")."""
        m = self.model if model is None else model
        fm = self.analysis.frequencies[self.partials]
        return {
            "cents": np.asarray(cents(m.frequencies[self.modes], fm)),
            "t60_percent": 100.0 * (m.t60[self.modes] / self.analysis.t60[self.partials] - 1.0),
        }

    def report(self) -> dict:
        before, after = self.errors(self.initial), self.errors()
        rows = []
        for k, (i, j) in enumerate(zip(self.modes, self.partials)):
            rows.append(
                {
                    "partial": int(j + 1),
                    "mode": int(i + 1),
                    "measured_hz": float(self.analysis.frequencies[j]),
                    "measured_t60_s": float(self.analysis.t60[j]),
                    "model_hz_before": float(self.initial.frequencies[i]),
                    "model_hz_after": float(self.model.frequencies[i]),
                    "cents_before": float(before["cents"][k]),
                    "cents_after": float(after["cents"][k]),
                    "t60_error_percent_before": float(before["t60_percent"][k]),
                    "t60_error_percent_after": float(after["t60_percent"][k]),
                    **{key: float(v[k]) for key, v in self.scores.get("per_pair", {}).items()},
                }
            )
        out = {
            "scale": self.scale,
            "parameters": self.parameters,
            "pairs": rows,
            "unmatched_partials": [
                {"partial": int(j + 1), "frequency_hz": float(self.analysis.frequencies[j])} for j in self.unmatched
            ],
            "rms_cents_before": _rms(before["cents"]),
            "rms_cents_after": _rms(after["cents"]),
            "rms_t60_percent_before": _rms(before["t60_percent"]),
            "rms_t60_percent_after": _rms(after["t60_percent"]),
            "warnings": list(self.warnings),
        }
        out.update({k: v for k, v in self.scores.items() if k != "per_pair"})
        return out

    def dumps(self) -> str:
        return json.dumps(self.report(), indent=1)

    def table(self) -> str:
        r = self.report()
        p = self.parameters
        head = ", ".join(f"{k} {_fmt(v)}" for k, v in p.items() if not isinstance(v, dict))
        lines = [
            f"# fit: scale {self.scale:.6f}; {head}",
            f"# damping: {p.get('damping', {})}",
            f"{'part':>4} {'mode':>4} {'meas_hz':>10} {'cents_bef':>9} {'cents_aft':>9} {'t60_s':>7} "
            f"{'t60%bef':>8} {'t60%aft':>8}" + ("  level_db  decay_db/s" if "level_error_db" in r["pairs"][0] else ""),
        ]
        for row in r["pairs"]:
            extra = ""
            if "level_error_db" in row:
                extra = f"  {row['level_error_db']:>8.2f}  {row['decay_error_db_per_s']:>10.3f}"
            lines.append(
                f"{row['partial']:>4} {row['mode']:>4} {row['measured_hz']:>10.3f} {row['cents_before']:>9.2f} "
                f"{row['cents_after']:>9.3f} {row['measured_t60_s']:>7.3f} {row['t60_error_percent_before']:>8.1f} "
                f"{row['t60_error_percent_after']:>8.2f}" + extra
            )
        lines.append(
            f"# rms cents {r['rms_cents_before']:.2f} -> {r['rms_cents_after']:.3f}; rms T60 error "
            f"{r['rms_t60_percent_before']:.1f} % -> {r['rms_t60_percent_after']:.2f} %"
        )
        if "loss_before" in r:
            lines.append(
                f"# spectral loss {r['loss_before']:.4f} -> {r['loss_after']:.4f} "
                f"({r['loss_after'] / r['loss_before']:.3f} of before)"
            )
        if r["unmatched_partials"]:
            lines.append(
                "# unmatched partials: " + ", ".join(f"{u['frequency_hz']:.2f} Hz" for u in r["unmatched_partials"])
            )
        lines += [f"# warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _fmt(v) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def _rms(v) -> float:
    v = np.asarray(v, dtype=float)
    return float(np.sqrt(np.mean(v**2))) if v.size else float("nan")


# ------------------------------------------------------------------ pairing
def _assign(fm: np.ndarray, fp: np.ndarray, scale: float, tol: float, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one pairs (mode, partial) within ``tol`` cents of ``scale`` x mode, by least total
    cost: the cents apart, less a cent for each unit of the partial's weight (a mode between a
    strong partial and a weak one, e.g. a room's echo of it, takes the strong one)."""
    c = np.abs(1200.0 * np.log2(fp[None, :] / (scale * fm[:, None])))
    big = 1e6
    cost = np.where(c <= tol, c - w[None, :] / w.max() * 10.0, big)
    rows, cols = linear_sum_assignment(cost)
    ok = cost[rows, cols] < big
    return rows[ok], cols[ok]


def pair_modes(
    freqs_model, freqs_partials, *, weights=None, sigma_cents=None, scale_range=(0.25, 4.0), tol_cents=PAIR_CENTS
):
    """The frequency scale and pairs that line a model's modes up with measured partials.

    Every pairing of one of the 8 strongest partials with a mode proposes a scale (within
    ``scale_range``); the one under which the most partial weight falls within ``tol_cents`` of
    a scaled mode wins (ties: the scale nearest 1, the model's own). Then the pairs are assigned
    one to one and the scale refined by least squares on log frequency, until the pairs stay.

    Parameters
    ----------
    freqs_model : array_like, shape (n_modes,), Hz
    freqs_partials : array_like, shape (n_partials,), Hz
    weights : array_like, shape (n_partials,), optional
        How much each partial counts in the search for the scale (default 1 each); the
        order of strength is theirs.
    sigma_cents : array_like, shape (n_partials,), cents, optional
        Each partial's frequency uncertainty, for the least squares (default 1 cent each).
    scale_range : (float, float)
        Scales considered (calibrated / model frequency).
    tol_cents : float, cents

    Returns
    -------
    scale : float
    modes, partials : ndarray of int, shape (n_pairs,)
    """
    fm = np.asarray(freqs_model, dtype=float)
    fp = np.asarray(freqs_partials, dtype=float)
    w = np.ones(fp.size) if weights is None else np.asarray(weights, dtype=float)
    lo, hi = scale_range
    strong = np.argsort(w)[::-1][:8]
    cands = (fp[strong][:, None] / fm[None, :]).ravel()
    cands = cands[(cands >= lo) & (cands <= hi)]
    if cands.size == 0:
        raise FitError(
            f"no scale between {lo:g} and {hi:g} brings a mode of the model ({fm.min():.1f}..{fm.max():.1f} Hz) "
            f"onto a partial of the recording ({fp.min():.1f}..{fp.max():.1f} Hz); is it the same object?"
        )
    c = np.abs(1200.0 * np.log2(fp[None, None, :] / (cands[:, None, None] * fm[None, :, None])))
    hit = (c.min(axis=1) <= tol_cents).astype(float)  # (n_cands, n_partials)
    score = hit @ w
    best = score.max()
    tied = np.flatnonzero(score >= best - 1e-9)
    scale = float(cands[tied[np.argmin(np.abs(np.log(cands[tied])))]])
    # the scale's least squares weighs each pair by its precision: the partial's uncertainty
    # and a floor of 1 cent (how far a good model's modes and a real object's stand apart),
    # made robust (Tukey) against a partial that a room or a beat has pulled away
    u = np.ones(fp.size) if sigma_cents is None else np.asarray(sigma_cents, dtype=float)
    prec = 1.0 / (u**2 + 1.0)
    modes, parts = _assign(fm, fp, scale, tol_cents, w)
    for _ in range(50):  # until the pairs stop changing (each refit moves the scale to their mean)
        if modes.size == 0:
            break
        r = np.log(fp[parts] / fm[modes])
        ww = prec[parts]
        for _ in range(10):
            ls = float(np.sum(ww * r) / ww.sum())
            new = _robust(prec[parts], (r - ls) * 1200 / math.log(2), floor=1.0)  # cents
            if new.sum() <= 0 or np.allclose(new, ww):
                break
            ww = new
        scale = float(np.exp(ls))
        m2, p2 = _assign(fm, fp, scale, tol_cents, w)
        if np.array_equal(m2, modes) and np.array_equal(p2, parts):
            break
        modes, parts = m2, p2
    order = np.argsort(parts)
    return scale, modes[order], parts[order]


# ------------------------------------------------------------------ the model transformations
def scaled(model: ModalModel, s: float, what: str) -> ModalModel:
    """``model`` with every frequency times ``s``, put down to ``what`` (one of :data:`SCALES`).

    E x s^2: shapes unchanged (the mass is). rho / s^2: the mass times 1 / s^2, so the
    mass-normalised shapes times s. thickness x s (a plate: frequencies scale as h; mass as h):
    shapes / sqrt(s). size / s (a solid: frequencies as 1 / a; mass as a^3; the mesh scaled):
    shapes x s^1.5.
    """
    s = validate.positive(s, "frequency scale")
    mat = model.material
    prov = dict(model.provenance)
    shapes, mesh = model.shapes, model.mesh
    if what == "E":
        mat = replace(mat, E=mat.E * s * s, name=f"{mat.name} (fitted)")
    elif what == "rho":
        mat = replace(mat, rho=mat.rho / (s * s), name=f"{mat.name} (fitted)")
        shapes = shapes * s
    elif what == "thickness":
        h = prov.get("thickness_m")
        if not h:
            raise FitError("only a plate (a model with a thickness) can have its thickness fitted; vary E instead")
        prov["thickness_m"] = h * s
        shapes = shapes / math.sqrt(s)
    elif what == "size":
        if mesh.dim != 3:
            raise FitError("size is fitted for a solid; for a plate vary its thickness or E")
        a = 1.0 / s
        mesh = Mesh(mesh.points * a, mesh.cells, mesh.regions, mesh.source)
        shapes = shapes * a**-1.5
        prov["size_factor"] = prov.get("size_factor", 1.0) * a
    else:
        raise FitError(f"unknown scale {what!r}; vary one of {', '.join(SCALES)}")
    freqs = model.frequencies * s
    law = mat.damping
    return replace(
        model,
        frequencies=freqs,
        shapes=shapes,
        mesh=mesh,
        material=mat,
        decay_rates=np.asarray(law.decay_rate(2 * np.pi * freqs), float),
        provenance=prov,
    )


def _resolve_at_nu(model: ModalModel, nu: float) -> ModalModel:
    prov = model.provenance
    if prov.get("model") not in ("solid", "plate", "sheet"):
        raise FitError("Poisson's ratio can be fitted for a solid or a plate model; this model is neither")
    return modal_analysis(
        model.mesh,
        replace(model.material, nu=nu),
        n_modes=model.n_modes,
        order=int(prov.get("element_order", 2)),
        clamp=tuple(prov.get("clamp", ()) or ()),
        support=tuple(prov.get("support", ()) or ()),
        thickness=prov.get("thickness_m"),
    )


# ------------------------------------------------------------------ damping
def _robust(w: np.ndarray, r: np.ndarray, floor: float = 0.05) -> np.ndarray:
    """Weights ``w`` times Tukey's biweight of the residuals ``r``, on the scale 1.4826 MAD
    (but at least ``floor``, in the unit of r): a pair that a room or a beat has bent far
    off the others stops counting."""
    scale = max(1.4826 * float(np.median(np.abs(r - np.median(r)))), floor)
    u = r / (4.685 * scale)
    return w * np.where(np.abs(u) < 1, (1 - u * u) ** 2, 0.0)


def _fit_loss(f: np.ndarray, sigma: np.ndarray, w: np.ndarray) -> LossFactor:
    """eta (f / f_ref)^p through eta_j = 2 sigma_j / omega_j, a straight line in log eta
    against log f: started from the line through two of the points with the least median
    residual (Rousseeuw's least median of squares, which a minority of bad points cannot
    pull), then weighted least squares with Tukey's reweighting (:func:`_robust`)."""
    eta = 2.0 * sigma / (2 * np.pi * f)
    f_ref = float(np.exp(np.sum(w * np.log(f)) / w.sum()))
    x = np.log(f / f_ref)
    y = np.log(eta)
    line = f.size >= 3 and np.ptp(x) > 0.1
    if line:
        best = (np.inf, 0.0, 0.0)
        for i in range(x.size):
            for j in range(i + 1, x.size):
                if abs(x[j] - x[i]) < 0.05:
                    continue
                p = (y[j] - y[i]) / (x[j] - x[i])
                b0 = y[i] - p * x[i]
                med = float(np.median(np.abs(y - b0 - p * x)))
                if med < best[0]:
                    best = (med, b0, p)
        _, b0, p = best
    else:
        b0, p = float(np.median(y)), 0.0
    wk = _robust(w, y - b0 - p * x)
    for _ in range(20):
        if wk.sum() <= 0:
            break
        if line:
            A = np.stack([np.ones_like(x), x], axis=1) * np.sqrt(wk)[:, None]
            b0, p = np.linalg.lstsq(A, y * np.sqrt(wk), rcond=None)[0]
        else:
            b0, p = float(np.sum(wk * y) / wk.sum()), 0.0
        new = _robust(w, y - b0 - p * x)
        if np.allclose(new, wk):
            break
        wk = new
    return LossFactor(eta=float(np.exp(b0)), f_ref=f_ref, exponent=float(p))


def _fit_rayleigh(f: np.ndarray, sigma: np.ndarray, w: np.ndarray) -> Rayleigh:
    """sigma = (alpha + beta omega^2) / 2, alpha and beta >= 0, least relative error."""
    om = 2 * np.pi * f
    A = np.stack([0.5 * np.ones_like(om), 0.5 * om**2], axis=1) / sigma[:, None] * np.sqrt(w)[:, None]
    (alpha, beta), _ = nnls(A, np.sqrt(w))
    if alpha == 0 and beta == 0:
        raise FitError("no Rayleigh damping fits these decay rates; use --damping loss")
    return Rayleigh(alpha=float(alpha), beta=float(beta))


# ------------------------------------------------------------------ the fit
def fit_model(
    model: ModalModel,
    analysis: Analysis,
    *,
    vary=("E",),
    damping: str = "loss",
    scale_range=(0.25, 4.0),
    force: bool = False,
) -> Fit:
    """Fit ``model`` to a recording's partials: frequency scale (and nu), damping law.

    Parameters
    ----------
    model : ModalModel
    analysis : Analysis
        From :func:`~physsynth.calibrate.esprit.analyse`.
    vary : sequence of str
        What may change: one of :data:`SCALES` (E, rho, thickness, size) and optionally
        ``nu``. An empty sequence keeps the frequencies and fits the damping alone.
    damping : {"loss", "rayleigh", "per-mode"}
    scale_range : (float, float)
        Frequency scales considered in the pairing (calibrated / given model).
    force : bool
        Fit even a recording that pairs poorly (its doubts become warnings).

    Returns
    -------
    Fit

    Raises
    ------
    FitError
        Fewer than :data:`MIN_PAIRS` pairs, less than :data:`MIN_SHARE` of the strong
        partials paired, or an RMS error above :data:`MAX_RMS_CENTS` after the fit (unless
        ``force``), or an impossible request (two scales at once, an unknown law).
    """
    if not isinstance(model, ModalModel):
        raise FitError(f"fit_model takes a ModalModel, got {type(model).__name__}")
    if not isinstance(analysis, Analysis):
        raise FitError(f"fit_model takes an Analysis (physsynth.calibrate.analyse), got {type(analysis).__name__}")
    vary = tuple(vary)
    bad = [v for v in vary if v not in SCALES + ("nu",)]
    if bad:
        raise FitError(f"cannot vary {', '.join(bad)}; choose from {', '.join(SCALES)} and nu")
    scales = [v for v in vary if v in SCALES]
    if len(scales) > 1:
        raise FitError(
            f"{' and '.join(scales)} all scale every frequency alike, so a recording fixes only their "
            "combination: vary one of them (e.g. E, keeping rho)"
        )
    if damping not in DAMPING_LAWS:
        raise FitError(f"unknown damping law {damping!r}; choose from {', '.join(DAMPING_LAWS)}")
    warnings = list(analysis.warnings)
    fp = analysis.frequencies
    weights = np.clip(analysis.levels_db + 60.0, 1.0, None)  # strong partials count most
    rng = scale_range if scales else (1.0 / 1.05, 1.05)
    sig_c = 1200 / math.log(2) * analysis.frequency_std / fp
    s, modes, parts = pair_modes(model.frequencies, fp, weights=weights, sigma_cents=sig_c, scale_range=rng)
    strong = np.flatnonzero((analysis.levels_db > -30.0) & (fp < s * model.frequencies.max() * 1.02))
    share = np.isin(strong, parts).mean() if strong.size else 0.0
    resid = cents(fp[parts], s * model.frequencies[modes]) if parts.size else np.zeros(0)
    rms = _rms(resid)
    doubts = []
    if parts.size < MIN_PAIRS:
        doubts.append(f"only {parts.size} partial(s) pair with a mode (a fit needs {MIN_PAIRS})")
    if share < MIN_SHARE:
        doubts.append(
            f"only {int(round(share * strong.size))} of the {strong.size} strong partials pair with a mode "
            f"(within {PAIR_CENTS:g} cents under the best scale {s:.4g})"
        )
    if rms > MAX_RMS_CENTS:
        doubts.append(
            f"the pairs scatter by {rms:.1f} cents RMS after the scale fit (a fit stays within {MAX_RMS_CENTS:g})"
        )
    if doubts:
        msg = "; ".join(doubts) + " - the recording does not look like this model's object"
        if not force and (parts.size < MIN_PAIRS or share < MIN_SHARE or rms > MAX_RMS_CENTS):
            raise FitError(msg + " (check the model, its material and clamps, or pass force)")
        warnings.append(msg)
    if parts.size == 0:
        raise FitError("no partial pairs with a mode: nothing to fit")

    params: dict = {}
    fitted = model
    if "nu" in vary:
        fitted, s, modes, parts, nu = _fit_nu(model, analysis, s, modes, parts, weights, scales)
        params["nu"] = nu
    if scales:
        fitted = scaled(fitted, s, scales[0])
        m0, m1 = model.material, fitted.material
        params.update({"E": m1.E, "rho": m1.rho})
        if scales[0] == "thickness":
            params["thickness"] = fitted.provenance["thickness_m"]
        if scales[0] == "size":
            params["size"] = fitted.provenance["size_factor"]
        params["E_ratio"] = m1.E / m0.E
        params["rho_ratio"] = m1.rho / m0.rho
    # the damping law through the paired partials' decay rates (their frequencies measured)
    f_meas, sig = fp[parts], analysis.decay_rates[parts]
    ok = sig > 0
    if ok.sum() == 0:
        raise FitError("none of the paired partials decays measurably: no damping law can be fitted")
    rel = np.maximum(analysis.decay_rate_std[parts][ok] / sig[ok], 0.02)  # at least 2 % each
    wd = 1.0 / rel**2
    law = _fit_loss(f_meas[ok], sig[ok], wd) if damping != "rayleigh" else _fit_rayleigh(f_meas[ok], sig[ok], wd)
    fitted = fitted.with_damping(law)
    if damping == "per-mode":
        d = fitted.decay_rates.copy()
        d[modes[ok]] = sig[ok]
        fitted = replace(fitted, decay_rates=d)
    params["damping"] = {"law": damping, **law.to_dict()}
    prov = dict(fitted.provenance)
    prov["calibration"] = {
        "scale": s,
        "vary": list(vary),
        "damping": damping,
        "pairs": [[int(i), float(fp[j])] for i, j in zip(modes, parts)],
    }
    fitted = replace(fitted, provenance=prov)
    unmatched = np.setdiff1d(np.arange(fp.size), parts)
    return Fit(
        model=fitted,
        initial=model,
        analysis=analysis,
        scale=float(s),
        parameters=params,
        modes=modes,
        partials=parts,
        unmatched=unmatched,
        warnings=tuple(warnings),
    )


def _fit_nu(model, analysis, s, modes, parts, weights, scales):
    """Poisson's ratio by one extra solve: d log f / d nu per mode from nu0 and nu0 + dnu,
    then log f_meas - log f_i = log s + g_i (nu - nu0) by weighted least squares, and the
    modes solved again at the fitted nu (their scale refitted there)."""
    nu0 = model.material.nu
    dnu = 0.03 if nu0 + 0.03 < 0.49 else -0.03
    other = _resolve_at_nu(model, nu0 + dnu)
    if other.n_modes != model.n_modes:
        raise FitError("the model solved again at another nu has a different number of modes; fit E alone")
    # pair the modes of the two solves by their shapes (modal assurance criterion)
    a = model.shapes.reshape(model.n_modes, -1)
    b = other.shapes.reshape(other.n_modes, -1)
    mac = (a @ b.T) ** 2 / np.outer(np.sum(a * a, 1), np.sum(b * b, 1))
    r, c = linear_sum_assignment(-mac)
    g = np.log(other.frequencies[c[np.argsort(r)]] / model.frequencies) / dnu
    fp = analysis.frequencies[parts]
    y = np.log(fp / model.frequencies[modes])
    w = weights[parts]
    A = np.stack([np.ones(parts.size), g[modes]], axis=1) if scales else g[modes][:, None]
    sol = np.linalg.lstsq(A * np.sqrt(w)[:, None], y * np.sqrt(w), rcond=None)[0]
    nu = float(np.clip(nu0 + sol[-1], -0.99, 0.499))
    final = _resolve_at_nu(model, nu)
    final = replace(final, provenance={**model.provenance, **final.provenance})
    sig_c = 1200 / math.log(2) * analysis.frequency_std / analysis.frequencies
    s2, modes2, parts2 = pair_modes(
        final.frequencies, analysis.frequencies, weights=weights, sigma_cents=sig_c, scale_range=(0.5, 2.0)
    )
    return final, (s2 if scales else 1.0), modes2, parts2, nu


# ------------------------------------------------------------------ where was it struck?
def locate_strike(fit: Fit) -> np.ndarray:
    """The surface point (m) whose driving-point response best explains the paired partials'
    levels: for a strike and a pickup at node n in the normal direction a mode's amplitude is
    proportional to (phi_k(n) . n)^2 (times the mallet's and microphone's spectra, taken as a
    gain and a tilt in dB per octave); the node whose pattern leaves the least RMS residual
    after that gain and tilt wins. A guess for when the strike point was not noted: give it
    when known."""
    m = fit.model
    nodes, normals = m._surface()
    phi = np.einsum("knd,nd->kn", m.shapes[fit.modes][:, nodes, :], normals)  # (n_pairs, n_surface)
    p = 20 * np.log10(phi**2 + 1e-12 * np.max(phi**2))
    meas = 20 * np.log10(fit.analysis.amplitudes[fit.partials])
    f = fit.analysis.frequencies[fit.partials]
    X = np.stack([np.ones(f.size), np.log2(f)], axis=1)
    Q = np.eye(f.size) - X @ np.linalg.pinv(X)
    r = Q @ (meas[:, None] - p)
    best = int(np.argmin(np.sum(r * r, axis=0)))
    return m.mesh.points[nodes[best]].copy()


# ------------------------------------------------------------------ resynthesis and its score
def resynthesise(model: ModalModel, *, at, sr: int, n: int, onset: float = 0.0, mallet: str = "medium", direction=None):
    """The model struck at ``at`` and read there (velocity), as ``n`` samples with the strike
    at ``onset`` seconds: the recording's counterpart."""
    sr = validate.sample_rate(sr)
    n = validate.integer(n, "samples", lo=16)
    start = int(round(validate.nonnegative(onset, "onset", "s") * sr))
    hit = strike(model, at, mallet=mallet, direction=direction, sr=sr)
    y = render(model, hit, pickup(model, hit.point), duration=max(n - start, 16) / sr)[0]
    out = np.zeros(n)
    out[start : start + y.size] = y[: n - start]
    return out


def score(fit: Fit, recording, *, sr: int, at, mallet: str = "medium", direction=None) -> Fit:
    """``fit`` with its score: the multi-scale spectral loss (:func:`physsynth.measure.spectral_loss`)
    between the recording and the model before and after, each struck at ``at`` where the
    recording starts and scaled to the recording's RMS; and, per pair, the level error (dB, the
    calibrated resynthesis's partial over the recording's, after one overall gain) and the
    decay error (dB/s)."""
    x = np.asarray(recording, dtype=float)
    x = x.sum(axis=0) if x.ndim == 2 else x
    on = fit.analysis.onset
    start = int(round(on * sr))
    ref = x[start:]
    out = {}
    sims = {}
    for name, m in (("before", fit.initial), ("after", fit.model)):
        y = resynthesise(m, at=at, sr=sr, n=x.size, onset=on, mallet=mallet, direction=direction)[start:]
        g = math.sqrt(np.mean(ref**2) / max(np.mean(y**2), 1e-300))
        sims[name] = y * g
        out[f"rms_gain_{name}"] = g
        # differences below the recording's noise floor say nothing about the object
        out[f"loss_{name}"] = spectral_loss(ref, y * g, sr=sr, eps="floor")
    # per-partial level and decay errors: the calibrated resynthesis analysed as the recording was
    res = analyse(sims["after"], sr=sr)
    fm = fit.analysis.frequencies[fit.partials]
    level, decay = [], []
    for j, f in zip(fit.partials, fm):
        k = int(np.argmin(np.abs(res.frequencies - f)))
        if abs(cents(res.frequencies[k], f)) > PAIR_CENTS:
            level.append(np.nan)
            decay.append(np.nan)
            continue
        level.append(20 * math.log10(res.amplitudes[k] / fit.analysis.amplitudes[j]))
        decay.append(20 / math.log(10) * (res.decay_rates[k] - fit.analysis.decay_rates[j]))
    level = np.array(level)
    gain_db = float(np.nanmedian(level)) if np.isfinite(level).any() else 0.0
    out["gain_db"] = -gain_db
    out["per_pair"] = {"level_error_db": level - gain_db, "decay_error_db_per_s": np.array(decay)}
    params = dict(fit.parameters)
    # recording units per model unit (m/s at the pickup for a 10 mN s strike)
    params["gain"] = float(out["rms_gain_after"] * 10 ** (-gain_db / 20))
    return replace(fit, scores={**fit.scores, **out}, parameters=params)

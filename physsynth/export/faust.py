"""Faust export: a modal library in mesh2faust's form, and a .dsp that strikes it.

mesh2faust (Michon, Martin & Smith, "Mesh2faust: a modal physical model generator for the Faust
programming language", ICMC 2017) writes an object as a bank of ``pm.modeFilter`` (Faust's
``physmodels.lib``) with an exposed-position selector: ``model(exPos, t60Scale)`` sums one
filter per mode, each with the mode's frequency, T60 and its gain at the exposed position. The
library written here has that form, with the numbers of a :class:`PortableModel`:

- ``pm.modeFilter(f, t60, g)`` is ``g (1 - z^-2) / (1 - 2 r cos(w) z^-1 + r^2 z^-2)`` with
  ``w = 2 pi f / SR`` and ``r = 0.001^(1 / (t60 SR))``. Its poles are those of physsynth's
  exact discretisation, ``exp((-sigma +- i omega_d) / SR)``, when ``f`` is the *damped*
  frequency omega_d / 2 pi and ``t60 = ln(1000) / sigma``: so the library lists the ringing
  frequencies sqrt(f_k^2 - (sigma_k / 2 pi)^2), not the undamped ones.
- The gain of mode k at exposed point p makes the filter's ringing amplitude equal to that of
  physsynth's resonator (velocity at the point for a force there, ramp-invariant): the two
  transfer functions share their poles, and the ratio of their residues at the pole z_k is
  ``|b0 + b1 / z_k + b2 / z_k^2| / |1 - 1 / z_k^2|`` (``simulate.modal.resonator_coefficients``),
  times the point's weight squared w_pk^2 (1/kg). The residues scale as 1 / SR, which the
  library applies (``designSR / ma.SR``). At the design rate the gains are exact; at another
  rate the residues' higher-order terms differ, by O((omega / designSR)^2): for a 48 kHz
  export run at 44.1 kHz, 0.01 dB at 1.9 kHz and 0.16 dB at 8 kHz; run at 96 kHz, 0.04 dB
  and 0.64 dB (:func:`gain_error_db`). Export at the rate the host runs (``--sr``).

The model's input is the force (N) at the exposed point, its output the velocity (m/s) there,
as :func:`physsynth.render` with its default pickup. The .dsp adds a half-sine strike (the
pulse of :func:`physsynth.contact_pulse`: the same samples, computed in Faust) on a
``strike`` button, with mallet (contact-time preset), impulse, exposed-position and T60-scale
controls, and an output scale that puts the default strike near half of full scale.
"""

from __future__ import annotations

import math
import os
import re

import numpy as np

from physsynth import validate
from physsynth._io import atomic_path
from physsynth.errors import PhyssynthError
from physsynth.excitation.strike import MALLETS, contact_pulse
from physsynth.export.model_json import PortableModel
from physsynth.simulate.linear import fold_gains
from physsynth.simulate.modal import NYQUIST_FRACTION, resonator_coefficients

#: Sample rate (Hz) the gains are computed for unless told.
DESIGN_SR = 48000
#: T60 written for an undamped mode (s): pm.modeFilter's pole radius is then 1 to double precision.
T60_UNDAMPED = 1e30
#: Largest bank written (Faust's compile time grows with the number of filters).
MAX_MODES = 2000


def faust_gains(pm: PortableModel, *, sr: float = DESIGN_SR) -> np.ndarray:
    """Gains of ``pm.modeFilter`` per exposed point and mode, shape (n_points, n_modes).

    Mode k's filter with this gain rings with the amplitude of physsynth's exactly discretised
    resonator at rate ``sr`` (velocity at point p, m/s, per newton of force there); modes at or
    above 0.49 sr get 0 (physsynth leaves them out).
    """
    sr = validate.sample_rate(sr)
    keep = pm.frequencies < NYQUIST_FRACTION * sr
    ratio = np.zeros(pm.n_modes)
    if keep.any():
        om = 2 * np.pi * pm.frequencies[keep]
        sig = pm.decay_rates[keep]
        _, _, b0, b1, b2 = resonator_coefficients(om, sig, sr=sr, quantity="velocity")
        z = np.exp((-sig + 1j * np.sqrt((om - sig) * (om + sig))) / sr)
        ratio[keep] = np.abs(b0 + b1 / z + b2 / z**2) / np.abs(1.0 - 1.0 / z**2)
    return pm.weights**2 * ratio[None, :]


def faust_listener_residues(pm: PortableModel, *, sr: float = DESIGN_SR) -> np.ndarray:
    """Complex residues of each mode at each listener for a force at each exposed point,
    shape (n_listeners, n_points, n_modes).

    Listener j hears mode k, struck at point p, as 2 Re(A lam^n), lam = e^{(-sigma + i omega_d)
    / sr} the pole; A = N_pk(1 / lam) conj(H_jk) / (1 - conj(lam) / lam) is the residue of
    physsynth's folded resonator (:func:`physsynth.simulate.linear.fold_gains`: N_pk the
    ramp-invariant velocity numerator times w_pk, H_jk the pressure per unit modal velocity),
    without the flight time's whole-sample advance lam^d, which the library applies at its
    running rate with the delay. Modes at or above 0.49 sr get 0.
    """
    sr = validate.sample_rate(sr)
    keep = pm.frequencies < NYQUIST_FRACTION * sr
    out = np.zeros((pm.n_listeners, pm.n_points, pm.n_modes), dtype=complex)
    if keep.any() and pm.n_listeners:
        om = 2 * np.pi * pm.frequencies[keep]
        sig = pm.decay_rates[keep]
        _, _, b0, b1, b2 = resonator_coefficients(om, sig, sr=sr, quantity="velocity")
        lam = np.exp((-sig + 1j * np.sqrt((om - sig) * (om + sig))) / sr)
        x = 1.0 / lam
        base = (b0 + b1 * x + b2 * x * x) / (1.0 - np.conj(lam) / lam)
        out[:, :, keep] = np.conj(pm.pressures[:, None, keep]) * pm.weights[None, :, keep] * base
    return out


def faust_listener_direct(pm: PortableModel, *, sr: float = DESIGN_SR) -> np.ndarray:
    """The direct taps (on the force now and one sample before) of each listener for a force at
    each exposed point, shape (n_listeners, n_points, 2), Pa per N: the non-resonant part of
    the folded resonators (the quotient of :func:`physsynth.simulate.linear.fold_gains`),
    which the ringing's residues leave out and which carries the pressure during the contact."""
    sr = validate.sample_rate(sr)
    keep = pm.frequencies < NYQUIST_FRACTION * sr
    out = np.zeros((pm.n_listeners, pm.n_points, 2))
    if keep.any():
        om = 2 * np.pi * pm.frequencies[keep]
        sig = pm.decay_rates[keep]
        a1, a2, b0, b1, b2 = resonator_coefficients(om, sig, sr=sr, quantity="velocity")
        for j in range(pm.n_listeners):
            G, _ = pm.listener_gains(j, sr=sr, keep=keep)
            for i in range(pm.n_points):
                g = pm.weights[i, keep]
                out[j, i] = fold_gains(G[None, :], om, sig, a1, a2, b0 * g, b1 * g, b2 * g, sr=sr).direct[0]
    return out


def _ident(name: str) -> str:
    """A Faust identifier from a model name ('tibetan_bowl-180' -> 'tibetan_bowl_180')."""
    s = re.sub(r"[^A-Za-z0-9_]", "_", name) or "model"
    return s if s[0].isalpha() else "m" + s


def _nums(values) -> str:
    return ",".join(repr(float(v)) for v in values)


def faust_library(pm: PortableModel, *, sr: float = DESIGN_SR, name: str | None = None) -> str:
    """Faust source of the modal library: ``NAME(exPos, t60Scale)``, force (N) in, velocity (m/s) out.

    Parameters
    ----------
    pm : PortableModel
    sr : float, Hz
        Sample rate the gains are exact at (they are rescaled by sr / ma.SR at run time).
    name : str, optional
        The function's name (default: ``pm.name`` made an identifier, plus "Model").
    """
    if not isinstance(pm, PortableModel):
        raise PhyssynthError(f"the Faust export takes a PortableModel (export.from_model), got {type(pm).__name__}")
    sr = validate.sample_rate(sr)
    if pm.n_modes > MAX_MODES:
        raise PhyssynthError(f"{pm.n_modes} modes is more than a Faust bank of {MAX_MODES}; export fewer (fmax)")
    fn = _ident(name or pm.name + "Model")
    gains = faust_gains(pm, sr=sr)
    t60 = np.where(pm.decay_rates > 0, pm.t60, T60_UNDAMPED)
    prov = pm.provenance
    mat = prov.get("material", {})
    positions = "\n".join(
        f"//   exPos {i}: ({p[0]:.6g}, {p[1]:.6g}, {p[2]:.6g}) along ({d[0]:.4g}, {d[1]:.4g}, {d[2]:.4g})"
        for i, (p, d) in enumerate(zip(pm.points, pm.directions))
    )
    return f"""// {fn}: a modal model written by {prov.get("generator", "physsynth")} (physsynth.export.faust)
// in the form of mesh2faust's libraries: a bank of pm.modeFilter with an exposed-position selector.
// Object: {pm.name}; mesh {prov.get("mesh", "") or "(arrays)"}; material {mat.get("name", "?")}.
// {pm.n_modes} modes, {pm.n_points} exposed positions (points, m, and force directions):
{positions}
// Input: force at the exposed position (N). Output: velocity there along the same direction (m/s).
// modesFreqs are the ringing (damped) frequencies, Hz; modesT60s the 60 dB decay times, s;
// modesGains(p, n) in m/s per N per sample, exact at designSR (rescaled to ma.SR).
// Usage: force : {fn}(exPos, t60Scale) : _
import("stdfaust.lib");

{fn}(exPos, t60Scale) = _ <: par(n, nModes, pm.modeFilter(modesFreqs(n), modesT60s(n), modesGains(int(exPos), n))) :> _
with {{
    nModes = {pm.n_modes};
    nExPos = {pm.n_points};
    designSR = {float(sr)!r};
    modesFreqs(n) = ba.take(n + 1, ({_nums(pm.damped_frequencies)}));
    modesT60s(n) = t60Scale * ba.take(n + 1, ({_nums(t60)}));
    modesGains(p, n) = waveform{{{_nums(gains.reshape(-1))}}}, int(max(0, min(nExPos - 1, p)) * nModes + n)
        : rdtable : *(designSR / ma.SR) : select2(modesFreqs(n) < (ma.SR / 2 - 1), 0);
}};
""" + _listener_library(pm, fn, sr, t60)


def _listener_library(pm: PortableModel, fn: str, sr: float, t60) -> str:
    """``NAMEListener(exPos, lis, t60Scale)``: the pressure (Pa) at listener ``lis`` (a constant)."""
    if not pm.n_listeners:
        return ""
    A = faust_listener_residues(pm, sr=sr)
    Q = faust_listener_direct(pm, sr=sr)
    where = "\n".join(
        f"//   listener {j}: ({q[0]:.6g}, {q[1]:.6g}, {q[2]:.6g}) m, flight time {1e3 * t:.4g} ms"
        for j, (q, t) in enumerate(zip(pm.listeners, pm.flight_times))
    )
    method = pm.radiation.get("method", "?")
    return f"""
// {fn}Listener(exPos, lis, t60Scale): the sound pressure (Pa) at listener lis (a constant,
// 0..{pm.n_listeners - 1}) for a force (N) at exposed position exPos, from the model's radiation ({method}):
{where}
// Each mode is fi.tf2(c0, c1, 0, a1, a2) with pm.modeFilter's poles; its numerator holds the
// mode's complex gain at the listener: its residue A (modesRes, Pa per N of force sample at
// designSR, rescaled to ma.SR), advanced by the flight delay of d samples (A lam^d, lam = r e^(i w)),
// gives c0 + c1 / lam = A (1 - e^(-2 i w)): each mode's amplitude and phase, no extra filter;
// direct: the folded resonators' non-resonant part (two taps on the force, Pa per N, exact at
// designSR), the pressure during the contact.
{fn}Listener(exPos, lis, t60Scale) = _ <: (par(n, nModes, mode(n)) :> _), direct :> @(d)
with {{
    nModes = {pm.n_modes};
    nExPos = {pm.n_points};
    nListeners = {pm.n_listeners};
    designSR = {float(sr)!r};
    modesFreqs(n) = ba.take(n + 1, ({_nums(pm.damped_frequencies)}));
    modesT60s(n) = t60Scale * ba.take(n + 1, ({_nums(t60)}));
    flight = ba.take(lis + 1, ({_nums(pm.flight_times)}));
    d = int(floor(flight * ma.SR));
    at(n) = (lis * nExPos + int(max(0, min(nExPos - 1, exPos)))) * nModes + n;
    modesResRe(n) = waveform{{{_nums(A.real.reshape(-1))}}}, at(n) : rdtable : *(designSR / ma.SR);
    modesResIm(n) = waveform{{{_nums(A.imag.reshape(-1))}}}, at(n) : rdtable : *(designSR / ma.SR);
    pair(i) = (lis * nExPos + int(max(0, min(nExPos - 1, exPos)))) * 2 + i;
    directTap(i) = waveform{{{_nums(Q.reshape(-1))}}}, pair(i) : rdtable;
    direct = _ <: *(directTap(0)), (mem : *(directTap(1))) :> _;
    mode(n) = fi.tf2(c0, c1, 0, -2 * r * cos(w), r * r) : *(modesFreqs(n) < (ma.SR / 2 - 1))
    with {{
        w = 2 * ma.PI * modesFreqs(n) / ma.SR;
        r = pow(0.001, 1 / float(modesT60s(n) * ma.SR));
        m = pow(r, d);
        ar = m * (modesResRe(n) * cos(w * d) - modesResIm(n) * sin(w * d));
        ai = m * (modesResRe(n) * sin(w * d) + modesResIm(n) * cos(w * d));
        vr = ar * (1 - cos(2 * w)) - ai * sin(2 * w);
        vi = ar * sin(2 * w) + ai * (1 - cos(2 * w));
        c1 = -vi * r / sin(w);
        c0 = vr - c1 * cos(w) / r;
    }};
}};
"""


def faust_dsp(
    pm: PortableModel, *, sr: float = DESIGN_SR, name: str | None = None, impulse: float = 1e-2, mallet="medium"
) -> str:
    """A self-contained .dsp: the library, a half-sine strike on a ``strike`` button, controls.

    Parameters
    ----------
    pm : PortableModel
    sr : float, Hz
        Design rate of the gains (see :func:`faust_library`).
    name : str, optional
        The model function's name.
    impulse : float, N s
        Default impulse of a strike (the ``impulse`` slider).
    mallet : {"soft", "medium", "hard"}
        Default contact-time preset (physsynth.excitation.strike.MALLETS).

    Controls: ``strike`` (button), ``exPos`` (exposed position), ``mallet`` (soft, medium,
    hard), ``impulse`` (N s), ``t60Scale``, ``outScale`` (output per m/s; default: half of full
    scale for the default strike, the loudest exposed position). A model with listeners
    (``from_model(..., listeners=...)``) has one output per listener instead, the pressure
    (Pa) there times ``outScale`` (``NAMEListener`` of :func:`faust_library`).
    """
    impulse = validate.positive(impulse, "impulse", "N s", hi=1.0)
    names = list(MALLETS)
    if mallet not in MALLETS:
        raise PhyssynthError(f"unknown mallet {mallet!r}; use one of {', '.join(names)}")
    lib = faust_library(pm, sr=sr, name=name)
    fn = _ident(name or pm.name + "Model")
    # the output scale: half of full scale for the default strike at the loudest position
    pulse = contact_pulse(MALLETS[mallet], sr=sr, impulse=impulse)
    heard = [{"listener": j} for j in range(pm.n_listeners)] or [{}]
    peak = max(
        float(np.max(np.abs(pm.render(pulse, point=i, sr=sr, duration=0.1, **h))))
        for i in range(pm.n_points)
        for h in heard
    )
    scale = 0.5 / peak if peak > 0 else 1.0
    if pm.n_listeners:  # one output per listener, Pa times outScale
        nl = pm.n_listeners
        process = f"strikeForce <: par(l, {nl}, {fn}Listener(exPos, l, t60Scale)) : par(l, {nl}, *(outScale))"
    else:
        process = f"strikeForce : {fn}(exPos, t60Scale) : *(outScale)"
    menu = ";".join(f"'{m}':{i}" for i, m in enumerate(names))
    cts = ", ".join(repr(MALLETS[m]) for m in names)
    return (
        lib
        + f"""
// ---- a strike: the half-sine contact force of physsynth.contact_pulse, N
// f[i] = A sin(pi i / (ct SR)) for i < ct SR, A = impulse SR / sum_i sin(pi i / (ct SR)),
// the sum in closed form: sum_(i=0..K) sin(i x) = sin(K x / 2) sin((K + 1) x / 2) / sin(x / 2).
declare name "{fn}";
declare description "Strike a physsynth modal model: {pm.name}";
gate = button("strike");
exPos = nentry("exPos", 0, 0, {pm.n_points - 1}, 1);
malletChoice = nentry("mallet[style:menu{{{menu}}}]", {names.index(mallet)}, 0, {len(names) - 1}, 1);
impulse = hslider("impulse[unit:N s]", {impulse!r}, 0.0001, 1, 0.0001);
t60Scale = hslider("t60Scale", 1, 0.01, 10, 0.01);
outScale = hslider("outScale", {scale!r}, 0, {10 * scale!r}, {scale / 1000!r});
contactTime = ba.selectn({len(names)}, int(malletChoice), {cts});
trig = gate > gate';
armed = trig : max ~ _;
since = (+(1) : *(1 - trig)) ~ _;
x = ma.PI / (contactTime * ma.SR);
K = ceil(contactTime * ma.SR) - 1;
area = sin(K * x / 2) * sin((K + 1) * x / 2) / sin(x / 2);
strikeForce = armed * (since < contactTime * ma.SR) * sin(since * x) * impulse * ma.SR / area;
process = {process};
"""
    )


def write_faust(pm: PortableModel, path, **kw) -> str:
    """Write ``pm`` as a Faust library (``.lib``) or a ready .dsp (``.dsp``), atomically.

    Keywords as :func:`faust_dsp` (``sr``, ``name``, ``impulse``, ``mallet``; a .lib takes
    ``sr`` and ``name``). Returns the path written.
    """
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext == ".lib":
        text = faust_library(pm, sr=kw.get("sr", DESIGN_SR), name=kw.get("name"))
    elif ext == ".dsp":
        text = faust_dsp(pm, **kw)
    else:
        raise PhyssynthError(f"a Faust export is .lib or .dsp, got {path!r}")
    with atomic_path(path, PhyssynthError, suffix=ext) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
    return path


def gain_error_db(pm: PortableModel, sr: float, design_sr: float = DESIGN_SR) -> float:
    """Largest level error (dB) of the library's 1/SR rescaling at rate ``sr`` (vs exact gains)."""
    exact = faust_gains(pm, sr=sr)
    scaled = faust_gains(pm, sr=design_sr) * design_sr / sr
    ok = (exact > 0) & (scaled > 0)
    return float(np.max(np.abs(20 * np.log10(scaled[ok] / exact[ok])))) if ok.any() else math.nan

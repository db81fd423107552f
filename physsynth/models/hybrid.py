"""A waveguide string on a modal body: the hybrid of a fast string and an FEM/modal body.

The string is the two-rail digital waveguide of physsynth/models/waveguide.py (rigid nut, loss
filter and tuning allpass from two T60s), carrying *velocity* waves. Its bridge end is not
rigid: it is a point junction with the body's driving-point admittance

    Y(s) = sum_k d_k^2 s / (s^2 + 2 sigma_k s + w_k^2),   d_k = phi_k(bridge) . n

(mass-normalised shapes phi_k, n the direction the string moves the bridge). With Z = sqrt(T mu)
the string's wave impedance, v_in the wave arriving at the bridge and v_out the one leaving,

    v_b = v_in + v_out           (the string's end moves with the bridge)
    F   = Z (v_in - v_out)       (force of the string on the bridge)
    v_b = Y F                    (the body)

so F = Z (2 v_in - v_b) and the bridge reflects v_out = (Z Y - 1) / (Z Y + 1) v_in: -1 for a
rigid body (Y = 0). Each mode is discretised by the bilinear transform prewarped to w_k; the
discrete admittance is then positive real (passive), so the coupled loop is stable for every
body, and the instantaneous part of the loop is solved exactly (docs/fastpaths-theory.md).

Layers: :func:`string_on_modes` (arrays), :func:`string_on_body` (a ModalModel),
:class:`StringOnBody` (streaming).
"""

from __future__ import annotations

import math

import numpy as np

from physsynth import validate
from physsynth.kernels.hybrid import string_body_block
from physsynth.models._design import ModelParameterError, design_loop
from physsynth.models.ks import _check_duration, block_size, check_decay
from physsynth.models.waveguide import _load, _positions, initial_rails
from physsynth.pickups import snap

#: Default string wave impedance, kg/s: a guitar string (T ~ 70 N, mu ~ 3.5 g/m).
STRING_IMPEDANCE = 0.5


def bilinear_modes(frequencies, decay_rates, *, sr):
    """Bilinear (prewarped) coefficients of s / (s^2 + 2 sigma s + w^2) for each mode.

    Parameters
    ----------
    frequencies : ndarray, shape (n,), Hz
        Undamped frequencies, each below sr / 2.
    decay_rates : ndarray, shape (n,), 1/s
    sr : float, Hz

    Returns
    -------
    b0, A1, A2 : ndarrays, shape (n,)
        H(z) = b0 (1 - z^-2) / (1 + A1 z^-1 + A2 z^-2), s = K (1 - z^-1) / (1 + z^-1) with
        K = w / tan(w / 2 sr), so that the resonance stays at w.
    """
    w = 2 * np.pi * np.asarray(frequencies, dtype=float)
    sg = np.asarray(decay_rates, dtype=float)
    K = w / np.tan(w / (2 * sr))
    a0 = K * K + 2 * sg * K + w * w
    return K / a0, (2 * w * w - 2 * K * K) / a0, (K * K - 2 * sg * K + w * w) / a0


def coupled_frequencies(f_string, f_body, d2, *, f0, string_impedance):
    """The two-oscillator estimate of a string partial coupled to one lossless body mode, Hz.

    Near both resonances the loop condition reduces to (w - w_s)(w - w_b) = kappa^2 with
    kappa^2 = Z d^2 f0 (docs/fastpaths-theory.md): the partial and the mode repel.

    Returns
    -------
    (float, float)
        The root nearer the string partial, and the one nearer the body mode.
    """
    ws, wb = 2 * np.pi * f_string, 2 * np.pi * f_body
    k2 = string_impedance * d2 * f0
    m, dd = 0.5 * (ws + wb), 0.5 * (ws - wb)
    r = math.sqrt(dd * dd + k2)
    hi, lo = (m + r) / (2 * np.pi), (m - r) / (2 * np.pi)
    return (hi, lo) if ws >= wb else (lo, hi)


class StringOnBody:
    """A streaming waveguide string on a modal body: ``note_on``, then ``process(n)``.

    Parameters
    ----------
    frequencies, decay_rates : ndarrays, shape (n_modes,), Hz and 1/s
        Body modes (modes at or above 0.49 sr are left out).
    d_bridge : ndarray, shape (n_modes,), 1/sqrt(kg)
        Mode shapes at the bridge along the string's plane of motion.
    d_pickup : ndarray, shape (n_modes,), 1/sqrt(kg), optional
        Mode shapes at the body pickup (default: the bridge).
    sr : float, Hz
    string_impedance : float, kg/s
        sqrt(tension * linear density).
    """

    def __init__(self, frequencies, decay_rates, d_bridge, d_pickup=None, *, sr, string_impedance=STRING_IMPEDANCE):
        self.sr = float(validate.sample_rate(sr, error=ModelParameterError))
        try:
            f = np.asarray(frequencies, dtype=float).ravel()
            sg = np.asarray(decay_rates, dtype=float).ravel()
            d = np.asarray(d_bridge, dtype=float).ravel()
            e = d if d_pickup is None else np.asarray(d_pickup, dtype=float).ravel()
        except (TypeError, ValueError):
            raise ModelParameterError(
                "frequencies, decay_rates and the mode shapes must be 1-D arrays of numbers, one value per mode"
            ) from None
        if f.size == 0:
            raise ModelParameterError("the body has no modes; give at least one (frequency, decay rate, shape)")
        if not (f.shape == sg.shape == d.shape == e.shape):
            raise ModelParameterError(
                "frequencies, decay_rates and the mode shapes at the bridge and pickup need one value per mode"
            )
        finite = np.isfinite(f).all() and np.isfinite(sg).all() and np.isfinite(d).all() and np.isfinite(e).all()
        if not finite or np.any(f <= 0) or np.any(sg < 0):
            raise ModelParameterError(
                "body modes need positive frequencies (Hz), decay rates >= 0 (1/s) and finite shapes"
            )
        string_impedance = validate.positive(string_impedance, "string_impedance", "kg/s", error=ModelParameterError)
        keep = f < 0.49 * self.sr
        if not keep.any():
            raise ModelParameterError(
                f"every body mode lies at or above 0.49 sr = {0.49 * self.sr:g} Hz (lowest {f.min():g} Hz); raise sr"
            )
        self.dropped_modes = int(np.count_nonzero(~keep))
        self.Z = float(string_impedance)
        self._b0, self._A1, self._A2 = (np.ascontiguousarray(a) for a in bilinear_modes(f[keep], sg[keep], sr=self.sr))
        self._d = np.ascontiguousarray(d[keep])
        self._e = np.ascontiguousarray(e[keep])
        self.Y0 = float(np.sum(self._d**2 * self._b0))
        self._s1 = np.zeros(self._d.size)
        self._s2 = np.zeros(self._d.size)
        self.design = None

    def note_on(
        self,
        f0,
        *,
        t60=2.0,
        t60_high=None,
        f_high=None,
        excitation="pluck",
        position=0.2,
        pickup=0.8,
        width=0.05,
        amplitude=1e-3,
    ):
        """Start a note. ``f0`` (Hz) is the rigidly terminated string's fundamental; ``t60``,
        ``t60_high``, ``f_high`` its own losses (as :func:`physsynth.models.waveguide_pluck`);
        ``amplitude`` is the pluck's peak displacement (m) or the strike's peak velocity (m/s).
        The body's modal states are kept (a new note on a ringing body)."""
        t60, t60_high = check_decay(f0, t60, t60_high)
        if not isinstance(excitation, str) or excitation not in ("pluck", "strike"):
            raise ModelParameterError(f"excitation must be 'pluck' or 'strike', got {excitation!r}")
        amplitude = validate.finite(amplitude, "amplitude", error=ModelParameterError)
        if amplitude == 0.0:
            raise ModelParameterError("amplitude 0 gives silence; use a non-zero pluck or strike amplitude")
        d = design_loop(f0, sr=self.sr, t60=t60, t60_high=t60_high, f_high=f_high, granularity=2)
        L = d.n_delay // 2
        _, self._xp = _positions(L, position, pickup)
        yr, yl = initial_rails(L, excitation=excitation, position=position, width=width, amplitude=amplitude)
        # velocity waves from displacement waves: v+ = -c dy+/dx, v- = +c dy-/dx, and c is one
        # spatial sample per sample, so a pluck (m) gives sr * difference (m/s); the strike's
        # rails are already velocity integrals in "per sample" units
        scale = self.sr if excitation == "pluck" else 1.0
        vr = -np.diff(yr, prepend=0.0) * scale
        vl = np.diff(yl, prepend=0.0) * scale
        self._br, self._bl = _load(L, vr, vl)
        self._pos = np.zeros(1, np.int64)
        self._st = np.zeros(2)
        self.design = d

    def process(self, n):
        """The next ``n`` samples: (string velocity at its pickup, body velocity at the body
        pickup), two ndarrays of shape (n,), m/s."""
        n = block_size(n, self.sr)
        vs, vb = np.zeros(n), np.zeros(n)
        if self.design is None or n == 0:
            return vs, vb
        d = self.design
        string_body_block(
            self._br,
            self._bl,
            self._pos,
            self._st,
            d.eta,
            d.g,
            d.p,
            self.Z,
            self.Y0,
            self._b0,
            self._A1,
            self._A2,
            self._d,
            self._e,
            self._s1,
            self._s2,
            self._xp,
            vs,
            vb,
        )
        return vs, vb


def string_on_modes(
    f0,
    frequencies,
    decay_rates,
    d_bridge,
    d_pickup=None,
    *,
    sr,
    duration,
    string_impedance=STRING_IMPEDANCE,
    output="body",
    **note,
):
    """Pluck a waveguide string on a body given by its modes (arrays).

    Parameters
    ----------
    f0 : float, Hz
        Fundamental of the string on a rigid bridge.
    frequencies, decay_rates, d_bridge, d_pickup, string_impedance
        As :class:`StringOnBody`.
    sr : float, Hz
    duration : float, s
    output : {"body", "string", "both"}
        Body velocity at the pickup, string velocity at its pickup, or both (shape (n, 2)).
    **note
        ``t60``, ``t60_high``, ``f_high``, ``excitation``, ``position``, ``pickup``, ``width``,
        ``amplitude`` of :meth:`StringOnBody.note_on`.

    Returns
    -------
    ndarray, shape (round(duration sr),) or (round(duration sr), 2), m/s
    """
    if not isinstance(output, str) or output not in ("body", "string", "both"):
        raise ModelParameterError(f"output must be 'body', 'string' or 'both', got {output!r}")
    n = _check_duration(duration, sr)
    s = StringOnBody(frequencies, decay_rates, d_bridge, d_pickup, sr=sr, string_impedance=string_impedance)
    s.note_on(f0, **note)
    vs, vb = s.process(n)
    if output == "body":
        return vb
    if output == "string":
        return vs
    return np.stack([vs, vb], axis=1)


def body_modes_at(model, bridge, pickup=None, direction=None):
    """The body's modes at the bridge and pickup points of a ModalModel.

    Parameters
    ----------
    model : ModalModel
    bridge : (float, float, float), m
        Bridge point; the nearest surface node is used.
    pickup : (float, float, float), m, optional
        Body pickup point (default: the bridge).
    direction : (float, float, float), optional
        Direction the string moves the bridge, and the pickup's direction (default: the
        outward surface normal at each node).

    Returns
    -------
    d_bridge, d_pickup : ndarrays, shape (n_modes,), 1/sqrt(kg)
    """

    u = None if direction is None else validate.direction(direction, "string direction", error=ModelParameterError)

    def proj(point, what):
        # refused when the point is far from the body (wrong units, a typo): pickups.snap
        node = snap(model, point, what)[0]
        n = model.surface_normal(node) if u is None else u
        return model.shapes[:, node, :] @ n

    d = proj(bridge, "bridge point")
    e = d if pickup is None else proj(pickup, "body pickup point")
    return d, e


def string_on_body(
    f0,
    model,
    *,
    bridge,
    pickup=None,
    sr,
    duration,
    string_impedance=STRING_IMPEDANCE,
    direction=None,
    output="body",
    **note,
):
    """Pluck a waveguide string whose bridge stands on a modal body (guitar-, sitar-like).

    Parameters
    ----------
    f0 : float, Hz
        Fundamental of the same string on a rigid bridge.
    model : ModalModel
        The body (frequencies, decay rates and mass-normalised shapes).
    bridge, pickup : (float, float, float), m
        Bridge point and body pickup point (nearest surface nodes; pickup default: bridge).
    sr : float, Hz
    duration : float, s
    string_impedance : float, kg/s
        sqrt(tension * linear density) of the string.
    direction : (float, float, float), optional
        The string's plane of motion at the bridge (default: the surface normal).
    output : {"body", "string", "both"}
        The radiating body velocity at ``pickup``, the string velocity, or both.
    **note
        String parameters of :meth:`StringOnBody.note_on`: ``t60``, ``t60_high``, ``f_high``,
        ``excitation``, ``position``, ``width``, ``amplitude``, and ``string_pickup`` (the
        string's pickup, fraction from the nut; ``pickup`` here is the body's).

    Returns
    -------
    ndarray, shape (round(duration sr),) or (round(duration sr), 2), m/s
    """
    d, e = body_modes_at(model, bridge, pickup, direction)
    if "string_pickup" in note:
        note["pickup"] = note.pop("string_pickup")
    return string_on_modes(
        f0,
        model.frequencies,
        model.decay_rates,
        d,
        e,
        sr=sr,
        duration=duration,
        string_impedance=string_impedance,
        output=output,
        **note,
    )

"""Karplus-Strong plucked string with the Jaffe-Smith extensions.

Jaffe & Smith, "Extensions of the Karplus-Strong plucked-string algorithm", Computer Music
Journal 7(2), 1983: exact tuning by an allpass fractional delay that accounts for the loop
filter's phase delay, decay stretching (here: a one-pole loss filter designed from two T60s),
the pick-position comb 1 - z^-round(beta P) and the dynamic-level lowpass on the excitation.
Stiffness (inharmonicity B) is added by a chain of identical first-order allpasses, as Van
Duyne & Smith (ICMC 1994) and Rauhala & Välimäki (IEEE SPL 2006) do, fitted here numerically.

Three layers: :func:`ks_pluck` (one call, one note), :class:`KarplusStrong` (streaming,
``process(n)``) and :class:`KSVoices` (many voices in one kernel call).
"""

from __future__ import annotations

import math

import numpy as np

from physsynth import validate
from physsynth.kernels.fastpaths import ks_block, ks_voices
from physsynth.models._design import LoopDesign, ModelParameterError, design_loop, loss_filter

#: Largest noise-burst seed (numpy's generators take integers in [0, 2^64)).
MAX_SEED = 2**64 - 1


def check_seed(seed) -> int:
    """A noise seed: a whole number in [0, MAX_SEED]."""
    return validate.integer(seed, "seed", lo=0, hi=MAX_SEED, error=ModelParameterError)


def check_decay(f0, t60, t60_high=None, name: str = "t60") -> tuple[float, float | None]:
    """T60s (s) of a string at ``f0`` (Hz): finite and at least one period 1/f0 (a string that
    loses 60 dB in less than one round trip has no pitch, and the loop filter no design).
    Returns (t60, t60_high)."""
    f0 = validate.positive(f0, "f0", "Hz", error=ModelParameterError)
    period = 1.0 / f0
    out = []
    for v, nm in ((t60, name), (t60_high, f"{name}_high")):
        if v is None:
            out.append(None)
            continue
        v = validate.positive(v, nm, "s", error=ModelParameterError)
        if v < period:
            raise ModelParameterError(
                f"{nm} {v:g} s is shorter than one period of f0 = {f0:g} Hz ({period:.3g} s); "
                f"use a decay time >= {period:.3g} s"
            )
        out.append(v)
    return out[0], out[1]


def ks_excitation(
    design: LoopDesign, *, excitation=None, pick=None, level_cutoff=None, seed=0, amplitude=1.0
) -> np.ndarray:
    """The signal fed into the loop: a noise burst (or ``excitation``), pick comb, level lowpass.

    Parameters
    ----------
    design : LoopDesign
    excitation : array_like, shape (n,), optional
        Samples to feed in; default a burst of uniform noise one period long (seeded).
    pick : float, optional
        Pick position beta in (0, 1) as a fraction of the string from the bridge; applies
        the comb 1 - z^-round(beta P), which removes the partials with a node there.
    level_cutoff : float, Hz, optional
        Cut-off of the one-pole dynamic-level lowpass (Jaffe-Smith's "dynamics": a softer
        pluck has fewer high partials). None leaves the excitation unfiltered.
    seed : int
        Seed of the noise burst.
    amplitude : float
        Gain.

    Returns
    -------
    ndarray, shape (n,)
    """

    sr = design.sr
    P = sr / design.f1
    amplitude = validate.finite(amplitude, "amplitude", error=ModelParameterError)
    if amplitude == 0.0:
        raise ModelParameterError("amplitude 0 gives silence; use a non-zero gain")
    if excitation is None:
        rng = np.random.default_rng(check_seed(seed))
        e = rng.uniform(-1.0, 1.0, int(round(P)))
        e -= e.mean()
    else:
        try:
            e = np.array(excitation, dtype=np.float64)
        except (TypeError, ValueError):
            raise ModelParameterError("the excitation must be a 1-D array of numbers") from None
        if e.ndim > 1 and max(e.shape) != e.size:
            raise ModelParameterError(f"the excitation must be a 1-D array, got shape {e.shape}")
        e = e.ravel()
        if e.size == 0 or not np.isfinite(e).all():
            raise ModelParameterError("the excitation must be a non-empty finite 1-D array")
        if not np.any(e):
            raise ModelParameterError("the excitation is all zeros (silence); give a non-zero signal")
        validate.check_memory(e.nbytes * 4, f"an excitation of {e.size} samples", "use a shorter excitation")
    if pick is not None:
        pick = validate.finite(pick, "pick position", error=ModelParameterError)
        if not 0.0 < pick < 1.0:
            raise ModelParameterError(f"pick position must be in (0, 1), got {pick}")
        m = max(1, int(round(pick * P)))
        comb = np.zeros(e.size + m)
        comb[: e.size] += e
        comb[m:] -= e
        e = comb
    from scipy.signal import lfilter

    if level_cutoff is not None:
        fc = validate.finite(level_cutoff, "level cutoff", "Hz", error=ModelParameterError)
        if not 0.0 < fc < sr / 2:
            raise ModelParameterError(f"level cutoff must be in (0, sr/2) Hz, got {fc}")

        R = math.exp(-2 * math.pi * fc / sr)
        e = lfilter([1.0 - R], [1.0, -R], e)
    return np.ascontiguousarray(e * float(amplitude))


def _check_duration(duration, sr, channels: int = 1):
    """Samples of a ``duration`` s render at ``sr`` Hz, within the memory budget
    (:func:`physsynth.validate.check_samples`)."""
    return validate.check_samples(duration, sr, channels, error=ModelParameterError)


def ks_pluck(
    f0,
    *,
    sr,
    duration,
    t60=2.0,
    t60_high=None,
    f_high=None,
    inharmonicity=0.0,
    pick=None,
    level_cutoff=None,
    excitation=None,
    seed=0,
    amplitude=1.0,
) -> np.ndarray:
    """Render one Karplus-Strong note.

    Parameters
    ----------
    f0 : float, Hz
        Fundamental; with inharmonicity B partial n sounds at n f0 sqrt(1 + B n^2).
    sr : float, Hz
    duration : float, s
    t60 : float, s
        Time for the fundamental to decay by 60 dB.
    t60_high : float, s, optional
        Time to decay by 60 dB at ``f_high`` (default ``t60``: all partials decay alike).
    f_high : float, Hz, optional
        Default min(max(5000, 4 f0), 0.45 sr).
    inharmonicity : float
        Stiffness coefficient B (0: harmonic).
    pick, level_cutoff, excitation, seed, amplitude
        See :func:`ks_excitation`.

    Returns
    -------
    ndarray, shape (round(duration sr),)
        Samples (not normalised).

    Examples
    --------
    >>> y = ks_pluck(440.0, sr=44100, duration=0.5, t60=1.0)
    >>> y.shape
    (22050,)
    """
    n = _check_duration(duration, sr)
    t60, t60_high = check_decay(f0, t60, t60_high)
    d = design_loop(f0, sr=sr, t60=t60, t60_high=t60_high, f_high=f_high, inharmonicity=inharmonicity)
    u = ks_excitation(d, excitation=excitation, pick=pick, level_cutoff=level_cutoff, seed=seed, amplitude=amplitude)
    buf = np.zeros(d.n_delay)
    out = np.empty(n)
    ks_block(
        u, buf, np.zeros(1, np.int64), np.zeros(2), np.zeros(d.n_sections), d.eta, d.g, d.g, d.p, d.p, d.a_disp, out
    )
    return out


def block_size(n, sr) -> int:
    """A block length: a whole number >= 0 whose samples fit the memory budget."""
    n = validate.integer(n, "block length n", lo=0, error=ModelParameterError)
    validate.check_memory(3 * 8 * n, f"a block of {n} samples", "process shorter blocks", error=ModelParameterError)
    return n


class KarplusStrong:
    """A streaming Karplus-Strong voice: ``note_on``, ``process(n)`` blocks, ``note_off``.

    Decay changes (:meth:`set_decay`, :meth:`note_off`) take effect over the next block: the loss
    filter's gain and pole move linearly across it, so there is no click. With no change, the
    blocks joined are exactly :func:`ks_pluck`'s output.

    Parameters
    ----------
    sr : float, Hz

    Examples
    --------
    >>> v = KarplusStrong(sr=48000)
    >>> v.note_on(220.0, t60=1.5)
    >>> block = v.process(256)
    >>> v.note_off(release_t60=0.1)
    >>> tail = v.process(256)
    """

    def __init__(self, *, sr):
        self.sr = float(validate.sample_rate(sr, error=ModelParameterError))
        self.design = None
        self._u = np.zeros(0)
        self._upos = 0

    def note_on(
        self,
        f0,
        *,
        t60=2.0,
        t60_high=None,
        f_high=None,
        inharmonicity=0.0,
        pick=None,
        level_cutoff=None,
        excitation=None,
        seed=0,
        amplitude=1.0,
    ):
        """Start a note (parameters as :func:`ks_pluck`); any sounding note is cut."""
        t60, t60_high = check_decay(f0, t60, t60_high)
        d = design_loop(f0, sr=self.sr, t60=t60, t60_high=t60_high, f_high=f_high, inharmonicity=inharmonicity)
        self.design = d
        self._f_high = f_high if f_high is not None else min(max(5000.0, 4 * d.f1), 0.45 * self.sr)
        self._u = ks_excitation(
            d, excitation=excitation, pick=pick, level_cutoff=level_cutoff, seed=seed, amplitude=amplitude
        )
        self._upos = 0
        self._buf = np.zeros(d.n_delay)
        self._pos = np.zeros(1, np.int64)
        self._st = np.zeros(2)
        self._sd = np.zeros(d.n_sections)
        self._gp = (d.g, d.p)
        self._target = (d.g, d.p)

    def set_decay(self, t60, t60_high=None):
        """New decay times (s) for the sounding note, reached at the end of the next block."""
        if self.design is None:
            return
        d = self.design
        t60_high = t60 if t60_high is None else t60_high
        t60, t60_high = check_decay(d.f1, t60, t60_high)
        if t60_high > t60:
            raise ModelParameterError("t60_high must not exceed t60")
        self._target = loss_filter(d.f1, t60, t60_high, self._f_high, sr=self.sr)

    def note_off(self, release_t60=0.1):
        """Damp the string: both T60s become ``release_t60`` (s) over the next block."""
        self.set_decay(release_t60, release_t60)

    def process(self, n):
        """The next ``n`` samples, ndarray shape (n,)."""
        n = block_size(n, self.sr)
        out = np.zeros(n)
        if self.design is None or n == 0:
            return out
        d = self.design
        u = self._u[self._upos : self._upos + n]
        self._upos += u.size
        (g0, p0), (g1, p1) = self._gp, self._target
        ks_block(u, self._buf, self._pos, self._st, self._sd, d.eta, g0, g1, p0, p1, d.a_disp, out)
        self._gp = self._target
        return out


class KSVoices:
    """Many Karplus-Strong voices rendered (and mixed) by one kernel call.

    Parameters
    ----------
    designs : sequence of LoopDesign
        One per voice (same sr).
    excitations : sequence of ndarray
        Input of each voice (see :func:`ks_excitation`).
    gains : array_like, shape (n_voices,), optional
        Mix gains (default 1).
    """

    def __init__(self, designs, excitations, gains=None):
        nv = len(designs)
        if nv == 0 or len(excitations) != nv:
            raise ModelParameterError("give one excitation per voice, at least one voice")
        if not all(isinstance(d, LoopDesign) for d in designs):
            raise ModelParameterError("designs must be LoopDesign objects (from design_loop)")
        if len({d.sr for d in designs}) != 1:
            raise ModelParameterError("every voice's design must be at the same sample rate")
        self.sr = designs[0].sr
        max_n = max(d.n_delay for d in designs)
        max_m = max(max(d.n_sections for d in designs), 1)
        excitations = [np.ascontiguousarray(e, dtype=np.float64).ravel() for e in excitations]
        n_u = max(len(e) for e in excitations)
        validate.check_memory(nv * n_u * 8, f"{nv} voices of {n_u} excitation samples", "use fewer or shorter voices")
        self._u = np.zeros((nv, n_u))
        for i, e in enumerate(excitations):
            self._u[i, : len(e)] = e
        self._upos = 0
        self.buf = np.zeros((nv, max_n))
        self.nd = np.array([d.n_delay for d in designs], np.int64)
        self.pos = np.zeros(nv, np.int64)
        self.sl = np.zeros(nv)
        self.sa = np.zeros(nv)
        self.sd = np.zeros((nv, max_m))
        self.nsec = np.array([d.n_sections for d in designs], np.int64)
        self.eta = np.array([d.eta for d in designs])
        self.g = np.array([d.g for d in designs])
        self.p = np.array([d.p for d in designs])
        self.a = np.array([d.a_disp for d in designs])
        if gains is None:
            self.w = np.ones(nv)
        else:
            try:
                self.w = np.ascontiguousarray(gains, dtype=np.float64)
            except (TypeError, ValueError):
                raise ModelParameterError("gains must be one number per voice") from None
            if self.w.shape != (nv,) or not np.isfinite(self.w).all():
                raise ModelParameterError(
                    f"gains must be {nv} finite numbers (one per voice), got shape {self.w.shape}"
                )

    def process(self, n):
        """The next ``n`` samples of the mix, ndarray shape (n,)."""
        out = np.empty(block_size(n, self.sr))
        u = np.ascontiguousarray(self._u[:, self._upos : self._upos + out.size])
        self._upos += u.shape[1]
        ks_voices(
            u,
            self.buf,
            self.nd,
            self.pos,
            self.sl,
            self.sa,
            self.sd,
            self.nsec,
            self.eta,
            self.g,
            self.p,
            self.a,
            self.w,
            out,
        )
        return out

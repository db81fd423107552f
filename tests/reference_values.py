"""Reference values the tests compare against, each with its source.

Numbers that nobody on this project computed with physsynth: roots of closed-form frequency
equations, published tables, measurements of real instruments. A test compares the code
against one of these (or against a closed form it evaluates itself), never against the
code's own earlier output. Each constant's comment names its source, with the equation or
table where the source has one; ``tests/test_reference_values.py`` recomputes every value
that a closed form gives (beam roots, Bessel zeros, the STK pitch) and checks the measured
ones for internal consistency (the bowl's ratios, the piano string's Fletcher fit), so a typo
here fails a test. docs/references.md lists the same sources for readers of the docs.

Import from a test as ``from reference_values import STEINWAY_B_A3_PARTIALS`` (tests/ is on
``sys.path``, see conftest.py).
"""

from __future__ import annotations

# ----------------------------------------------------------------- beams (Euler-Bernoulli)
#: beta_n L of a free-free uniform beam, n = 1..5: the positive roots of cos(x) cosh(x) = 1
#: (rigid modes excluded). f_n = (beta_n L)^2 / (2 pi L^2) sqrt(E I / (rho A)).
#: Source: R. D. Blevins, *Formulas for Natural Frequency and Mode Shape* (Van Nostrand
#: Reinhold 1979; Krieger 2001), Table 8-1 (single-span beams), free-free case.
#: Ratios 1 : 2.7565 : 5.4039 : 8.9330. A solid 3-D bar falls short of these by shear and
#: rotary inertia (Timoshenko): keep L/h >= 30 for a 1 % comparison of the first three.
BEAM_FREE_FREE_BETA_L = (4.730041, 7.853205, 10.995608, 14.137165, 17.278760)

#: beta_n L of a clamped-free (cantilever) beam, n = 1..5: the roots of cos(x) cosh(x) = -1.
#: Source: Blevins (1979), Table 8-1, clamped-free case.
BEAM_CLAMPED_FREE_BETA_L = (1.875104, 4.694091, 7.854757, 10.995541, 14.137168)

# ----------------------------------------------------------------- plates (Kirchhoff)
#: Completely free square plate, nu = 0.3: lambda = omega a^2 sqrt(rho h / D),
#: D = E h^3 / (12 (1 - nu^2)), the first nine elastic modes in order, the doublets (modes
#: symmetric under the diagonal swap) listed twice. Converged Rayleigh-Ritz values, as
#: recorded in the project's reference notes (the notes do not name the publication); they
#: sit 0.2-1.0 % below the older values that A. W. Leissa, *Vibration of Plates*, NASA SP-160
#: (1969), ch. 4 (completely free rectangular plates), tabulates for the first four, 13.49,
#: 19.79, 24.43 and 35.02, which are upper bounds from fewer terms. Cross-checked in this
#: repository by two independent discretisations that converge to them: the Morley FEM
#: (tests/test_plates.py) and the finite-difference plate (tests/test_fd.py).
FREE_SQUARE_PLATE_LAMBDA = (13.468, 19.596, 24.270, 34.801, 34.801, 61.093, 61.093, 63.686, 69.265)

#: Leissa's older tabulated lambdas for the same plate (Leissa 1969, ch. 4), for comparison.
FREE_SQUARE_PLATE_LAMBDA_LEISSA = (13.49, 19.79, 24.43, 35.02)

# ----------------------------------------------------------------- membranes
#: Zeros j_mn of the Bessel function J_m, in the order of the circular membrane's modes
#: (f_mn = j_mn c / (2 pi a), c = sqrt(T / sigma)): j01, j11, j21, j02, j31.
#: Source: M. Abramowitz & I. A. Stegun, *Handbook of Mathematical Functions* (NBS 1964),
#: Table 9.5 (zeros of J_n(x)).
BESSEL_J_ZEROS = {(0, 1): 2.40483, (1, 1): 3.83171, (2, 1): 5.13562, (0, 2): 5.52008, (3, 1): 6.38016}

# ----------------------------------------------------------------- strings
#: Partials of a Steinway model B piano's A3 string, Hz, n = 1..8, as measured and recorded
#: in the project's reference notes (the notes name the instrument, not the publication).
#: They follow the stiff-string law f_n = n f0 sqrt(1 + B n^2) of H. Fletcher, "Normal
#: vibration frequencies of a stiff piano string", J. Acoust. Soc. Am. 36(1), 203-209
#: (1964), B = pi^3 E d^4 / (64 T L^2), with f0 = 219.79 Hz and B = 2.16e-4 to 0.25 cent
#: (least squares on (f_n / n)^2 = f0^2 (1 + B n^2); tests/test_reference_values.py).
STEINWAY_B_A3_PARTIALS = (219.79, 439.83, 660.00, 880.66, 1101.82, 1323.99, 1546.78, 1770.32)

#: The inharmonicity B of that string, rounded (the least-squares fit gives 2.164e-4).
STEINWAY_B_A3_INHARMONICITY = 2.15e-4

# ----------------------------------------------------------------- Tibetan singing bowls
#: Measured partials of a 180 mm Tibetan singing bowl, Hz: the (n, 0) wine-glass modes for
#: n = 2..8. Source: the Csound manual, appendix "Modal Frequency Ratios" (used with the
#: ``mode`` opcode and GEN33 tables), entry "Tibetan bowl (180mm)": ratios 1, 2.77828,
#: 5.18099, 8.16289, 11.66063, 15.63801, 19.99 to a 221 Hz fundamental (221 x ratio gives
#: these Hz to the rounding of the ratios). Each partial of a real bowl is a close doublet,
#: the two orientations of mode n split by the bowl's asymmetry; that split makes it beat.
TIBETAN_BOWL_180MM = (221.0, 614.0, 1145.0, 1804.0, 2577.0, 3456.0, 4419.0)

#: The same Csound table's ratios for the 180 mm bowl, as printed there.
TIBETAN_BOWL_180MM_RATIOS = (1.0, 2.77828, 5.18099, 8.16289, 11.66063, 15.63801, 19.99)

#: Measured partials of a 152 mm Tibetan bowl, Hz, (n, 0) for n = 2..8: the same Csound table,
#: entry "Tibetan bowl (152 mm)" (as in ../shared/reference/README.md).
TIBETAN_BOWL_152MM = (314.0, 836.0, 1519.0, 2360.0, 3341.0, 4462.0, 5696.0)

# ----------------------------------------------------------------- bells
#: Simpson tuning of a church bell: hum, prime, tierce, quint, nominal as fractions of the
#: nominal (0.25, 0.5, 0.6, 0.75, 1), i.e. 0.5 : 1 : 1.2 : 1.5 : 2 to the prime. Source: Fletcher
#: & Rossing, The Physics of Musical Instruments, 2nd ed., ch. 21 (the "true-harmonic" or
#: Simpson-tuned bell), as in ../shared/reference/README.md.
SIMPSON_BELL = (0.5, 1.0, 1.2, 1.5, 2.0)

# ----------------------------------------------------------------- Karplus-Strong peers
#: What STK's Plucked plays when asked for 440 Hz at 44.1 kHz, Hz (-17.3 cents). Source: the
#: Synthesis ToolKit (P. Cook & G. Scavone), src/Plucked.cpp: delay sr/f - 0.5 samples
#: (allpass-interpolated), loop filter 0.5 (1 + z^-1), loop gain 0.995 + 5e-6 f (capped at
#: 0.99999); the feedback takes the delay line's last output, so the loop is one sample
#: longer than its tuning assumes and plays sr / (sr / f + 1) = 435.65 Hz. Measured by
#: building STK from source (benchmarks/bench_fastpaths.py runs it) and recomputed from that
#: closed form in tests/test_reference_values.py.
STK_PLUCKED_440_AT_44K1 = 435.65

"""Karplus-Strong tuning: ours measured from the audio, against STK's Plucked.

Each note is rendered with a bright-to-dark loss filter (T60 1 s, 0.3 s at high frequency) and
its pitch measured as the maximum of |DTFT| of the windowed note (physsynth.measure.peak_frequency).
STK's Plucked, asked for 440 Hz at 44.1 kHz, plays 435.65 Hz (-17 cents; tests/reference_values.py,
STK_PLUCKED_440_AT_44K1: its loop is one sample longer than its tuning assumes). Ours counts every
element's phase delay at f0.

    python examples/06_ks_tuning_vs_stk.py

Prints one line per note and ends with ``max_error_cents: X``.
"""

from physsynth.measure import cents, peak_frequency
from physsynth.models import ks_pluck

STK_440_HZ_AT_44K1 = 435.65  # Hz, STK Plucked for a 440 Hz request (tests/reference_values.py)


def main():
    sr = 44100
    worst = 0.0
    print(f"{'f0_hz':>8}  {'measured_hz':>12}  {'error_cents':>11}")
    for f0 in (41.2, 110.0, 261.63, 440.0, 1046.5, 2093.0, 4186.0):
        y = ks_pluck(f0, sr=sr, duration=1.0, t60=1.0, t60_high=0.3)
        f = peak_frequency(y, sr=sr, f_guess=f0, rel_window=0.03)
        err = cents(f, f0)
        worst = max(worst, abs(err))
        print(f"{f0:>8.2f}  {f:>12.4f}  {err:>+11.4f}")
    stk = cents(STK_440_HZ_AT_44K1, 440.0)
    print(f"STK Plucked at 440 Hz (reference): {STK_440_HZ_AT_44K1} Hz, {stk:+.1f} cents")
    print(f"max_error_cents: {worst:.4f}")


if __name__ == "__main__":
    main()

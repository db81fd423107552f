"""Examples run and print the number they promise (scikit-fem's habit)."""

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_example(name, *args, cwd=None):
    p = subprocess.run([sys.executable, os.path.join(ROOT, "examples", name), *args],
                       capture_output=True, text=True, timeout=900, cwd=cwd)
    assert p.returncode == 0, p.stderr
    return p.stdout


def number(out, key):
    m = re.search(rf"^{key}: (\S+)$", out, re.M)
    assert m, out
    return float(m.group(1))


def test_example_free_bar():
    assert number(run_example("01_free_bar_vs_theory.py"), "max_error_percent") < 1.5


@pytest.mark.slow
def test_example_bowl_partials_and_strike(tmp_path):
    model = tmp_path / "bowl.npz"
    out = run_example("02_bowl_partials.py", "--save", str(model))
    assert abs(number(out, "fundamental_error_percent")) < 10.0
    assert number(out, "max_ratio_error_percent") < 5.0
    out = run_example("03_strike_bowl.py", "--model", str(model), "--outdir", str(tmp_path),
                      "--duration", "1.0")
    cents = [float(x) for x in re.findall(r"centroid\s+(\d+) Hz", out)]
    assert cents == sorted(cents) and len(cents) == 3
    assert sorted(p.name for p in tmp_path.glob("*.wav")) == [
        "bowl_hard.wav", "bowl_medium.wav", "bowl_soft.wav"]


def test_example_plate_vs_theory(tmp_path):
    out = run_example("07_plate_modes_vs_theory.py", "--outdir", str(tmp_path))
    assert number(out, "max_error_percent") < 1.0
    assert (tmp_path / "plate_struck.wav").exists()

"""Atomic output files: rename onto the target, nothing left behind, normal permissions."""

import os
import stat

import numpy as np
import pytest

from physsynth._io import atomic_path
from physsynth.audio import write_wav


def test_atomic_output_gets_umask_permissions(tmp_path):
    # mkstemp creates 0600 files; the finished output must be readable like any open() result
    out = tmp_path / "a.wav"
    write_wav(out, np.sin(np.arange(4800) / 10), sr=48000)
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o666 & ~mask


def test_atomic_path_leaves_nothing_on_error(tmp_path):
    out = tmp_path / "b.txt"
    out.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(out) as tmp:
        with open(tmp, "w") as f:
            f.write("new")
        raise RuntimeError("boom")
    assert out.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.txt"]

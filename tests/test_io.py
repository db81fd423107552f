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


def test_8bit_wav_is_unsigned_with_128_as_zero(tmp_path):
    # 8-bit PCM WAV is unsigned: byte 128 is silence, 0 is -1 and 255 is 127/128 of full scale
    # (written by Python's own wave module, so the bytes on disk are exactly these)
    import wave

    from physsynth.audio import read_wav

    raw = bytes([128, 0, 255, 64, 192, 128])
    path = tmp_path / "u8.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(raw)
    x, sr = read_wav(path)
    assert sr == 8000 and x.shape == (2, 3)
    # frames interleave (left, right): left = 128, 255, 192; right = 0, 64, 128
    np.testing.assert_array_equal(x[0], [0.0, 127 / 128, 0.5])
    np.testing.assert_array_equal(x[1], [-1.0, -0.5, 0.0])


def test_16bit_wav_full_scale(tmp_path):
    import wave

    from physsynth.audio import read_wav

    path = tmp_path / "s16.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.array([0, -32768, 32767, 16384], "<i2").tobytes())
    x, _ = read_wav(path)
    np.testing.assert_array_equal(x[0], [0.0, -1.0, 32767 / 32768, 0.5])

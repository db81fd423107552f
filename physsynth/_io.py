"""Atomic file output: write to a temporary file beside the target, then rename."""

from __future__ import annotations

import contextlib
import os
import tempfile

from physsynth.errors import PhyssynthError


def check_writable(path, error=PhyssynthError) -> str:
    """Raise ``error`` unless ``path`` can be created or replaced. Returns the absolute path."""
    path = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(path)
    if os.path.isdir(path):
        raise error(f"output {path} is a directory; give a file name")
    if not os.path.isdir(folder):
        raise error(f"cannot write {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise error(f"cannot write {path}: permission denied")
    return path


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it: put it straight back
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path, error=PhyssynthError, suffix=""):
    """Yield a temporary path in the target's folder; on success rename it onto ``path``.

    On any exception the temporary file is removed and ``path`` is left untouched.
    """
    path = check_writable(path, error)
    fd, tmp = tempfile.mkstemp(prefix=".physsynth-", suffix=suffix or ".tmp", dir=os.path.dirname(path))
    os.close(fd)
    try:
        yield tmp
        # mkstemp makes the file 0600; give the result the permissions a plain open() would
        with contextlib.suppress(OSError):
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise

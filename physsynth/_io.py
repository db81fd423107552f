"""File output that never harms what it does not name.

Every writer of physsynth (WAV, model .npz, figures, animations, dataset records) goes
through :func:`atomic_path`, and every command checks its outputs with
:func:`check_writable` before any work. What happens depends on what the path is:

- **a regular file, or a new name**: the data is written to a temporary file beside the
  target, then renamed onto it, so a failed or interrupted write leaves the old file (or
  nothing) in place. A symbolic link to a regular file is resolved: the file it points to is
  replaced, the link stays a link.
- **the null device, a terminal or a FIFO** (``/dev/null``, a named pipe, a tty), or a name
  for one of this process's open files (``/dev/stdout``, ``/dev/stderr``,
  ``/dev/fd/N``, ``/proc/self/fd/N``): renaming over it would replace the device with a
  regular file, so the data is written *through* it: it is made in a temporary file in the
  system's temporary folder (removed whatever happens), then copied into the open target with
  plain ``write`` calls whose errors are raised (``ENOSPC`` of a standard output that is
  ``/dev/full`` is an :class:`OSError`). Such a target is never created, truncated or
  replaced, and a failed copy may leave part of the data in it (a pipe cannot take bytes back).
- **anything else** (another character device such as ``/dev/full`` or ``/dev/zero``, whose
  write would fail or do harm only after the work, a directory, a block device, a socket, a
  dangling symbolic link, a missing folder, no permission): refused with ``error`` before any
  work.

The command line maps ``-o -`` to ``/dev/stdout`` for the formats that can be streamed.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
import tempfile

from physsynth.errors import PhyssynthError

#: Names of this process's own open files: written through the file descriptor itself.
_FD_PATH = re.compile(r"^/(?:dev/fd|proc/self/fd)/(\d+)$")
_STD_NAMES = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}


def _fd_of(path: str) -> int | None:
    if path in _STD_NAMES:
        return _STD_NAMES[path]
    m = _FD_PATH.match(path)
    return int(m.group(1)) if m else None


def _through_proc(path: str) -> bool:
    """True if resolving ``path`` passes through /proc or /dev/fd (an open file's magic link)."""
    seen = 0
    while os.path.islink(path) and seen < 40:
        if _fd_of(path) is not None or path.startswith("/proc/"):
            return True
        path = os.path.abspath(os.path.join(os.path.dirname(path), os.readlink(path)))
        seen += 1
    return path.startswith("/proc/") or _fd_of(path) is not None


def _harmless_device(path: str, st: os.stat_result) -> bool:
    """The null device, or a terminal: the character devices an output may be written through."""
    try:
        if st.st_rdev == os.stat(os.devnull).st_rdev:
            return True
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        return os.isatty(fd)
    finally:
        os.close(fd)


def output_target(path, error=PhyssynthError) -> tuple[str, str]:
    """How ``path`` will be written: ``("replace", file)`` or ``("through", path)``.

    ``"replace"``: atomic write and rename onto ``file`` (the resolved target of a link).
    ``"through"``: a device, FIFO or open file of this process, written through. Raises
    ``error`` for every path that can be neither (see the module docstring).
    """
    path = os.path.abspath(os.fspath(path))
    if _fd_of(path) is not None or _through_proc(path):
        fd = _fd_of(path)
        try:
            if fd is not None:
                os.fstat(fd)
            else:
                os.stat(path)
        except OSError:
            raise error(f"cannot write {path}: it names no open file") from None
        return "through", path
    try:
        st = os.stat(path)  # follows links
    except FileNotFoundError:
        if os.path.islink(path):
            raise error(
                f"cannot write {path}: it is a symbolic link to {os.path.realpath(path)}, which does not "
                "exist; remove the link or give another name"
            ) from None
        return "replace", os.path.realpath(path)
    except OSError as exc:
        raise error(f"cannot write {path}: {exc.strerror}") from None
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return "replace", os.path.realpath(path)
    if stat.S_ISDIR(mode):
        raise error(f"output {path} is a directory; give a file name")
    if stat.S_ISFIFO(mode) or (stat.S_ISCHR(mode) and _harmless_device(path, st)):
        return "through", path
    if stat.S_ISCHR(mode):
        raise error(
            f"cannot write {path}: it is a device other than /dev/null or a terminal (writing into it could fail "
            "or do harm after all the work); give a file name, - for standard output, or /dev/null"
        )
    kind = "a block device" if stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "a special file"
    raise error(f"cannot write {path}: it is {kind}; give a regular file name")


def check_writable(path, error=PhyssynthError) -> str:
    """Raise ``error`` unless ``path`` can be written (see the module docstring).

    Returns the absolute path as given (a link is not resolved here, so it can be shown).
    """
    shown = os.path.abspath(os.fspath(path))
    how, target = output_target(shown, error)
    if how == "through":
        fd = _fd_of(target)
        if fd is None and not os.access(target, os.W_OK):
            raise error(f"cannot write {shown}: permission denied")
        return shown
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise error(f"cannot write {shown}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (os.path.exists(target) and not os.access(target, os.W_OK)):
        raise error(f"cannot write {shown}: permission denied")
    return shown


def is_stdout(path) -> bool:
    """True if ``path`` is this process's standard output (so nothing else may be printed there)."""
    p = os.fspath(path)
    if p == "-" or _fd_of(os.path.abspath(p)) == 1:
        return True
    try:
        a, b = os.stat(p), os.fstat(1)
    except (OSError, ValueError):
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it: put it straight back
    os.umask(mask)
    return mask


def _copy_into(tmp: str, path: str) -> None:
    """Copy the finished temporary file into a device, FIFO or open file, checking every write."""
    fd = _fd_of(path)
    own = fd is None
    if fd == 1:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
    try:
        if own:
            # no O_CREAT: the target exists and must stay what it is; no O_TRUNC: a device or a
            # pipe has nothing to truncate, and an open file keeps its own mode (append ...)
            fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
        with open(tmp, "rb") as src:
            while chunk := src.read(1 << 20):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view) :]
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        raise OSError(exc.errno, exc.strerror, path) from None
    finally:
        if own and fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


@contextlib.contextmanager
def atomic_path(path, error=PhyssynthError, suffix=""):
    """Yield a temporary path to write; on success put its content at ``path``.

    A regular (or new) ``path`` gets the file by an atomic rename (a link's target is
    replaced); a device, FIFO or open file (``/dev/stdout``) gets the bytes written through
    it. On any exception the temporary file is removed and ``path`` is left untouched.
    """
    check_writable(path, error)
    how, target = output_target(path, error)
    folder = os.path.dirname(target) if how == "replace" else tempfile.gettempdir()
    fd, tmp = tempfile.mkstemp(prefix=".physsynth-", suffix=suffix or ".tmp", dir=folder)
    os.close(fd)
    try:
        yield tmp
        if how == "replace":
            # mkstemp makes the file 0600; give the result the permissions a plain open() would
            with contextlib.suppress(OSError):
                os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, target)
        else:
            _copy_into(tmp, target)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)

"""Taking a model elsewhere: a documented JSON model, Faust libraries, a web page.

- ``model_json``: :class:`PortableModel` (a ModalModel reduced to its exposed points),
  :func:`from_model`, :func:`write_json`, :func:`read_json`, the JSON Schema
  (``modal-model.schema.json``);
- ``faust``: :func:`write_faust` (a mesh2faust-style ``.lib`` or a ready ``.dsp``);
- ``web``: :func:`write_web` (one self-contained HTML page that shows, animates and plays it).

Names are imported on first use, so that importing this package stays cheap.
"""

from __future__ import annotations

import importlib

_NAMES = {
    "PortableModel": "model_json",
    "from_model": "model_json",
    "read_json": "model_json",
    "write_json": "model_json",
    "schema": "model_json",
    "faust_dsp": "faust",
    "faust_gains": "faust",
    "faust_library": "faust",
    "write_faust": "faust",
    "web_page": "web",
    "write_web": "web",
}

__all__ = sorted(_NAMES)


def __getattr__(name):
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'physsynth.export' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"physsynth.export.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_NAMES))

"""A web page that shows a model in 3D, animates its modes and plays it where it is clicked.

:func:`write_web` writes one self-contained HTML file: three.js (r160, from its npm package,
vendored in ``physsynth/export/vendor``) and the model's data are inlined, so the page opens
without network access. In the page:

- the object's surface is drawn with three.js; drag to turn it, wheel to zoom;
- any of the first modes can be animated (its shape, coloured by amplitude);
- a click on the surface strikes it there: the velocity at the point for a half-sine force
  (the mallet presets soft, medium, hard of :func:`physsynth.strike`, impulse 0.01 N s per
  unit of the velocity slider) is synthesised in the browser from the modes' frequencies,
  decay rates and the point's weights phi_k . d (impulse-invariant resonators, the velocity
  impulse response of docs/theory.md), and played through Web Audio. The same buffer is
  rendered once more through an ``OfflineAudioContext`` and the result written into the page
  (``#strike-result``, JSON with the samples as base64 float32), so a test can check what was
  heard;
- with listeners (``write_web(model, path, listeners=[...])``, ``physsynth web --listener``;
  the model needs radiation data) the "hear at" menu plays the pressure (Pa) at a listener in
  the air instead: each mode's complex gain there is folded into its resonator's numerator
  (``synth.js``, the synthesis alone, which tests run under node).

The data travel as base64 float32 (vertices, per-vertex weights of every mode, the shapes
animated), about 4 bytes per number.
"""

from __future__ import annotations

import base64
import html
import json
import os
from importlib import resources

import numpy as np

from physsynth import validate
from physsynth._io import atomic_path
from physsynth._version import __version__
from physsynth.errors import PhyssynthError, RenderError
from physsynth.excitation.strike import MALLETS, contact_pulse
from physsynth.export.model_json import from_model, model_name
from physsynth.simulate.modal import check_model, check_modes

#: Modes whose shapes the page can animate (their 3D shapes are embedded).
N_ANIMATED = 12
#: Length of a synthesised strike (s).
STRIKE_DURATION = 2.0
#: Most (surface vertices x modes) the page embeds (4 bytes each, base64: ~54 MB).
MAX_WEIGHTS = 10_000_000


def _b64(a, dtype="<f4") -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=dtype).tobytes()).decode("ascii")


def _resource(name: str) -> str:
    return resources.files("physsynth.export").joinpath(name).read_text(encoding="utf-8")


def page_data(
    model, *, n_animated: int = N_ANIMATED, sr: int = 48000, fmax: float | None = None, listeners=None
) -> dict:
    """The data the page embeds: surface, weights per vertex and mode, shapes, modes, scale,
    and with ``listeners`` (points in the air, m, or Listener objects, "stereo"; the model needs
    radiation data) each listener's complex gain on each mode's velocity at the page's rate and
    its delay in samples (:meth:`physsynth.export.model_json.PortableModel.listener_gains`)."""
    check_model(model)
    check_modes(model.frequencies, model.decay_rates)
    sr = validate.sample_rate(sr)
    n_animated = validate.integer(n_animated, "the number of animated modes", lo=0, hi=1000)
    if fmax is not None:
        model = model.below(fmax)
    keep = model.frequencies < 0.49 * sr
    if not keep.any():
        raise PhyssynthError(f"no mode below {0.49 * sr:.0f} Hz; the page plays at {sr} Hz")
    model = model.select(keep)
    nodes, normals = model.mesh.vertex_normals()
    validate.check_memory(
        8.0 * nodes.size * model.n_modes, "the page's weights", "export fewer modes (--fmax)", error=PhyssynthError
    )
    if nodes.size * model.n_modes > MAX_WEIGHTS:
        raise PhyssynthError(
            f"{nodes.size} surface vertices x {model.n_modes} modes is more than a page holds ({MAX_WEIGHTS:.0e}); "
            "export fewer modes (--fmax) or a coarser mesh"
        )
    remap = np.full(model.mesh.n_nodes, -1, dtype=np.int64)
    remap[nodes] = np.arange(nodes.size)
    tri = remap[model.mesh.boundary_triangles()]
    # weights of a strike into the surface at each vertex: phi_k(v) . (-n_v), 1/sqrt(kg)
    weights = -np.einsum("knj,nj->nk", model.shapes[:, nodes, :], normals)
    n_anim = min(n_animated, model.n_modes)
    shapes = model.shapes[:n_anim][:, nodes, :]
    # the output scale: half of full scale for a medium strike at the median of 32 spread points
    # (the page turns a louder strike down to 0.95 of full scale rather than clip it)
    probe = from_model(model, n_points=min(32, nodes.size), listeners=listeners)
    pulse = contact_pulse(MALLETS["medium"], sr=sr, impulse=1e-2)

    def median_peak(duration=0.05, **kw):
        peaks = []
        for i in range(probe.n_points):
            try:
                peaks.append(float(np.max(np.abs(probe.render(pulse, point=i, sr=sr, duration=duration, **kw)))))
            except RenderError:  # a point on every mode's nodal line (a supported plate's edge)
                continue
        return float(np.median(peaks)) if peaks else 0.0

    peak = median_peak()
    heard = []
    for j in range(probe.n_listeners):
        G, delay = probe.listener_gains(j, sr=sr)
        lp = median_peak(0.05 + delay / sr, listener=j)
        heard.append(
            {
                "position": probe.listeners[j].tolist(),
                "delay": int(delay),
                "gains_re": G.real.tolist(),
                "gains_im": G.imag.tolist(),
                "out_scale": 0.5 / lp if lp > 0 else 1.0,
            }
        )
    return {
        "name": model_name(model),
        "generator": f"physsynth {__version__}",
        "sr": sr,
        "duration": STRIKE_DURATION,
        "frequencies": model.frequencies.tolist(),
        "decay_rates": model.decay_rates.tolist(),
        "n_vertices": int(nodes.size),
        "n_modes": int(model.n_modes),
        "n_animated": int(n_anim),
        "vertices": _b64(model.mesh.points[nodes]),
        "triangles": _b64(tri, "<u4"),
        "n_triangles": int(len(tri)),
        "weights": _b64(weights),
        "shapes": _b64(shapes),
        "mallets": {k: v for k, v in MALLETS.items()},
        "impulse_per_velocity": 1e-2,
        "out_scale": 0.5 / peak if peak > 0 else 1.0,
        "material": model.material.name,
        "listeners": heard,
    }


_CSS = """
html, body { margin: 0; height: 100%; background: #20242b; color: #e8e8e8; font: 14px system-ui, sans-serif; }
#view { position: absolute; inset: 0; }
#panel { position: absolute; top: 10px; left: 10px; background: rgba(20, 22, 26, 0.85); padding: 10px 12px;
         border-radius: 6px; max-width: 320px; }
#panel label { display: block; margin: 6px 0 2px; }
#panel h1 { font-size: 16px; margin: 0 0 6px; }
#status { margin-top: 8px; font-size: 12px; color: #b8c0cc; }
#strike-result { display: none; }
"""


def web_page(model, *, n_animated: int = N_ANIMATED, sr: int = 48000, fmax: float | None = None, listeners=None) -> str:
    """The HTML text of the page (see the module docstring)."""
    data = page_data(model, n_animated=n_animated, sr=sr, fmax=fmax, listeners=listeners)
    name = html.escape(data["name"])
    # the "hear at" menu only for a page with listeners (page.js fills it)
    hear = '<label for="hear">hear at</label><select id="hear"></select>\n' if data["listeners"] else ""
    blob = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    three = _resource("vendor/three.min.js").replace("</script", "<\\/script")
    script = (_resource("synth.js") + "\n" + _resource("page.js")).replace("</script", "<\\/script")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="generator" content="{html.escape(data["generator"])}">
<title>{name}: strike it (physsynth)</title>
<style>{_CSS}</style></head>
<body>
<div id="view"></div>
<div id="panel">
<h1>{name}</h1>
<div>{data["n_modes"]} modes, {data["frequencies"][0]:.1f} to {data["frequencies"][-1]:.0f} Hz,
{html.escape(data["material"])}. Click the object to strike it; drag to turn it.</div>
<label for="mode">animate</label><select id="mode"><option value="-1">no mode (still)</option></select>
{hear}<label for="mallet">mallet (contact time)</label><select id="mallet"></select>
<label for="velocity">velocity <span id="velocity-value">1.00</span> (x 0.01 N s)</label>
<input id="velocity" type="range" min="0.05" max="4" step="0.05" value="1">
<div id="status">{html.escape(data["generator"])}: three.js r160 (MIT), Web Audio</div>
</div>
<pre id="strike-result"></pre>
<script id="model-data" type="application/json">{blob}</script>
<script>/* three.js r160, MIT licence, https://threejs.org (npm package three@0.160.0) */
{three}</script>
<script>{script}</script>
</body></html>
"""


def write_web(model, path, **kw) -> str:
    """Write the page for ``model`` to ``path`` (atomically). Keywords as :func:`web_page`."""
    path = os.fspath(path)
    text = web_page(model, **kw)
    with atomic_path(path, PhyssynthError, suffix=".html") as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
    return path

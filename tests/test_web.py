"""The web page in a real browser: headless Chromium (Debian's package) driven over the DevTools
protocol (websocket-client). The page loads from a file with no network, a click on the surface
strikes it, and the sound synthesised in the page (rendered through an OfflineAudioContext and
reported into the page) has its peaks at the model's first three frequencies, within 1 % (the
tolerance of the issue; the page's impulse-invariant resonators ring at the damped frequency,
0.01 % from the undamped one for this damping). The screenshot is not blank.

Run as a script (``python tests/test_web.py OUT.png``) it writes the screenshot of
docs/export.md: the bowl's page with its fourth mode animated.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import numpy as np
import pytest

import physsynth as ps
from physsynth.export.web import write_web
from physsynth.measure import spectral_peaks

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
#: Background colour of the page's 3D view (#20242b).
BACKGROUND = np.array([0x20, 0x24, 0x2B]) / 255


class Browser:
    """A headless Chromium and one page, spoken to over the DevTools protocol."""

    def __init__(self, width=900, height=650, timeout=30.0):
        websocket = pytest.importorskip("websocket", reason="websocket-client (the test extra) drives Chromium")
        if CHROMIUM is None:
            pytest.skip("no Chromium: apt-get install chromium (the CI script .ci/run installs it)")
        self.profile = tempfile.mkdtemp(prefix="physsynth-chromium-")
        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu-sandbox",
                "--use-angle=swiftshader",
                "--enable-unsafe-swiftshader",
                "--no-first-run",
                "--mute-audio",
                "--autoplay-policy=no-user-gesture-required",
                f"--window-size={width},{height}",
                f"--user-data-dir={self.profile}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + timeout
        while not (os.path.exists(port_file) and open(port_file).read().count("\n") >= 1):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.close()
                pytest.fail("Chromium did not start its DevTools endpoint")
            time.sleep(0.05)
        port = int(open(port_file).read().split()[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=timeout))
        page = next(t for t in targets if t.get("type") == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=timeout, suppress_origin=True)
        self.id = 0
        self.timeout = timeout

    def call(self, method, **params):
        self.id += 1
        self.ws.send(json.dumps({"id": self.id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def eval(self, expr, *, awaited=False):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=awaited)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expr}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait(self, expr, what):
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            v = self.eval(expr)
            if v:
                return v
            time.sleep(0.05)
        raise AssertionError(f"the page did not {what} within {self.timeout:g} s")

    def click(self, x, y):
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def screenshot(self) -> bytes:
        return base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])

    def close(self):
        try:
            if hasattr(self, "ws"):
                self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


def open_page(browser, path):
    browser.call("Page.enable")
    browser.call("Page.navigate", url="file://" + os.path.abspath(path))
    browser.wait("document.body && document.body.dataset.ready === '1' && window.physsynth.frames > 2", "draw")


def _png(data: bytes) -> np.ndarray:
    import matplotlib.image

    return matplotlib.image.imread(io.BytesIO(data), format="png")[..., :3]


def test_page_strikes_where_clicked(bar_model, tmp_path):
    page = write_web(bar_model, tmp_path / "bar.html")
    text = open(page).read()
    assert "http://" not in text.split("<script>", 1)[0] and 'src="http' not in text  # nothing fetched
    # the surface vertex that drives modes 1-3 best (the page's vertex order: surface nodes sorted)
    nodes, normals = bar_model.mesh.vertex_normals()
    w = -np.einsum("knj,nj->nk", bar_model.shapes[:3, nodes, :], normals)
    vi = int(np.argmax(np.min(np.abs(w) / np.abs(w).max(axis=0), axis=1)))
    b = Browser()
    try:
        open_page(b, page)
        x, y = b.eval(f"physsynth.screenPoint({vi})")
        b.click(x, y)
        res = json.loads(b.wait("document.getElementById('strike-result').textContent", "report a strike"))
        b.eval("document.getElementById('panel').style.display = 'none'")  # the 3D view alone
        time.sleep(0.1)
        shot = _png(b.screenshot())
    finally:
        b.close()
    # the click hit the surface at (or next to) the vertex aimed at
    assert np.linalg.norm(np.subtract(res["position"], bar_model.mesh.points[nodes[vi]])) < 0.01
    audio = np.frombuffer(base64.b64decode(res["samples"]), dtype="<f4").astype(float)
    assert res["sr"] == 48000 and audio.size == res["n"] == 96000
    assert np.all(np.isfinite(audio)) and 0.01 < np.max(np.abs(audio)) < 1.0
    f = bar_model.frequencies[:3]
    peaks = spectral_peaks(audio, f, sr=res["sr"], rel_window=0.03)
    np.testing.assert_allclose(peaks, f, rtol=0.01)
    # not blank: the thin bar (300 x 12 mm, seen from above at an angle) covers about 1.5 % of the
    # view, in colours far from the background's
    differs = np.abs(shot - BACKGROUND).max(axis=-1) > 0.1
    assert differs.mean() > 0.005, f"only {differs.mean():.2%} of the screenshot differs from the background"
    assert shot[differs].mean() > BACKGROUND.mean() + 0.2  # lit metal, not a dark smudge


def test_cli_web(bar_model, tmp_path):
    from conftest import run_cli

    model = bar_model.save(tmp_path / "bar.npz")
    code, out, err = run_cli("web", model, "-o", tmp_path / "bar.html")
    assert code == 0, err
    assert out.strip() == str(tmp_path / "bar.html") and os.path.getsize(tmp_path / "bar.html") > 600_000
    code, _, err = run_cli("web", model, "-o", tmp_path / "bar.txt")
    assert code == 2 and "html" in err and not (tmp_path / "bar.txt").exists()


if __name__ == "__main__":  # the screenshot of docs/export.md
    out = sys.argv[1] if len(sys.argv) > 1 else "docs/img/export-web.png"
    here = os.path.dirname(os.path.abspath(__file__))
    mesh = ps.load_mesh(os.path.join(here, "..", "meshes", "tibetan_bowl_180.msh"))
    model = ps.modal_analysis(mesh, ps.get_material("bell_bronze"), fmax=6000)
    with tempfile.TemporaryDirectory() as d:
        page = write_web(model, os.path.join(d, "bowl.html"))
        b = Browser(1000, 640)
        try:
            open_page(b, page)
            sel = "document.getElementById('mode')"
            b.eval(f"{sel}.value = '3'; {sel}.dispatchEvent(new Event('change'))")
            x, y = b.eval("physsynth.screenPoint(10)")
            b.click(x, y)
            b.wait("document.getElementById('strike-result').textContent", "report a strike")
            time.sleep(0.6)
            with open(out, "wb") as fh:
                fh.write(b.screenshot())
        finally:
            b.close()
    print(out)

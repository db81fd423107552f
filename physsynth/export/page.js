// The physsynth strike page (physsynth.export.web inlines it after three.js and the model's data).
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("model-data").textContent);
  function f32(s) { const b = atob(s), u = new Uint8Array(b.length); for (let i = 0; i < b.length; i++) u[i] = b.charCodeAt(i); return new Float32Array(u.buffer); }
  function u32(s) { const b = atob(s), u = new Uint8Array(b.length); for (let i = 0; i < b.length; i++) u[i] = b.charCodeAt(i); return new Uint32Array(u.buffer); }
  function b64(a) { const u = new Uint8Array(a.buffer, a.byteOffset, a.byteLength); let s = ""; for (let i = 0; i < u.length; i += 32768) s += String.fromCharCode.apply(null, u.subarray(i, i + 32768)); return btoa(s); }
  const V = f32(D.vertices), T = u32(D.triangles), W = f32(D.weights), S = f32(D.shapes);
  const nv = D.n_vertices, nm = D.n_modes;
  // centre and scale the object to a unit size
  let lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < nv; i++) for (let j = 0; j < 3; j++) { lo[j] = Math.min(lo[j], V[3 * i + j]); hi[j] = Math.max(hi[j], V[3 * i + j]); }
  const size = Math.max(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]);
  const base = new Float32Array(3 * nv);
  for (let i = 0; i < nv; i++) for (let j = 0; j < 3; j++) base[3 * i + j] = (V[3 * i + j] - 0.5 * (lo[j] + hi[j])) / size;
  let shapeMax = new Float32Array(Math.max(D.n_animated, 1));
  for (let k = 0; k < D.n_animated; k++) { let m = 0; for (let i = 0; i < 3 * nv; i++) m = Math.max(m, Math.abs(S[k * 3 * nv + i])); shapeMax[k] = m || 1; }

  const view = document.getElementById("view");
  const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  renderer.setPixelRatio(window.devicePixelRatio || 1);
  renderer.setSize(view.clientWidth, view.clientHeight);
  view.appendChild(renderer.domElement);
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0x20242b);
  const camera = new THREE.PerspectiveCamera(40, view.clientWidth / view.clientHeight, 0.01, 100);
  camera.position.set(0, -1.2, 1.2);
  camera.up.set(0, 0, 1);
  camera.lookAt(0, 0, 0);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x404050, 1.6));
  const sun = new THREE.DirectionalLight(0xffffff, 1.6); sun.position.set(1, -1, 2); scene.add(sun);
  const geom = new THREE.BufferGeometry();
  const pos = new Float32Array(base);
  geom.setAttribute("position", new THREE.BufferAttribute(pos, 3));
  const col = new Float32Array(3 * nv).fill(0.8);
  geom.setAttribute("color", new THREE.BufferAttribute(col, 3));
  geom.setIndex(new THREE.BufferAttribute(T, 1));
  geom.computeVertexNormals();
  const mat = new THREE.MeshStandardMaterial({ vertexColors: true, metalness: 0.35, roughness: 0.45, side: THREE.DoubleSide });
  const mesh = new THREE.Mesh(geom, mat);
  const group = new THREE.Group(); group.add(mesh); scene.add(group);
  const marker = new THREE.Mesh(new THREE.SphereGeometry(0.015, 16, 12), new THREE.MeshBasicMaterial({ color: 0xff5533 }));
  marker.visible = false; group.add(marker);

  // ---- controls
  const modeSel = document.getElementById("mode"), malletSel = document.getElementById("mallet");
  const velIn = document.getElementById("velocity"), velOut = document.getElementById("velocity-value");
  const status = document.getElementById("status");
  const hearSel = document.getElementById("hear");
  for (let k = 0; k < D.n_animated; k++) {
    const o = document.createElement("option"); o.value = k; o.textContent = "mode " + (k + 1) + ": " + D.frequencies[k].toFixed(1) + " Hz";
    modeSel.appendChild(o);
  }
  if (hearSel) {
    const o = document.createElement("option"); o.value = -1; o.textContent = "the struck point (velocity)"; hearSel.appendChild(o);
    (D.listeners || []).forEach((L, j) => { const e = document.createElement("option"); e.value = j; e.textContent = "listener " + (j + 1) + " at (" + L.position.map((v) => v.toFixed(2)).join(", ") + ") m (pressure)"; if (j === 0) e.selected = true; hearSel.appendChild(e); });
  }
  for (const m in D.mallets) { const o = document.createElement("option"); o.value = m; o.textContent = m + " (" + (1e3 * D.mallets[m]).toFixed(2) + " ms)"; if (m === "medium") o.selected = true; malletSel.appendChild(o); }
  velIn.addEventListener("input", () => { velOut.textContent = Number(velIn.value).toFixed(2); });

  function colourMode(k) {
    for (let i = 0; i < nv; i++) {
      let c = 0.8;
      if (k >= 0) { const o = k * 3 * nv + 3 * i; c = Math.hypot(S[o], S[o + 1], S[o + 2]) / shapeMax[k]; }
      // blue (node) to orange (antinode)
      col[3 * i] = k >= 0 ? 0.15 + 0.85 * c : 0.78; col[3 * i + 1] = k >= 0 ? 0.3 + 0.3 * c : 0.74; col[3 * i + 2] = k >= 0 ? 0.9 - 0.8 * c : 0.66;
    }
    geom.attributes.color.needsUpdate = true;
  }
  modeSel.addEventListener("change", () => { colourMode(Number(modeSel.value)); if (Number(modeSel.value) < 0) { pos.set(base); geom.attributes.position.needsUpdate = true; geom.computeVertexNormals(); } });
  colourMode(-1);

  // ---- turning and zooming
  let drag = null, rotX = 0, rotZ = 0.6, dist = 1.0;
  renderer.domElement.addEventListener("pointerdown", (e) => { drag = { x: e.clientX, y: e.clientY, x0: e.clientX, y0: e.clientY }; });
  window.addEventListener("pointermove", (e) => { if (!drag) return; rotZ += 0.01 * (e.clientX - drag.x); rotX += 0.01 * (e.clientY - drag.y); drag.x = e.clientX; drag.y = e.clientY; });
  window.addEventListener("pointerup", (e) => { if (drag && Math.hypot(e.clientX - drag.x0, e.clientY - drag.y0) < 4) pick(e.clientX, e.clientY); drag = null; });
  renderer.domElement.addEventListener("wheel", (e) => { dist *= Math.exp(0.001 * e.deltaY); dist = Math.min(Math.max(dist, 0.2), 5); e.preventDefault(); }, { passive: false });
  function place() { group.rotation.set(rotX, 0, rotZ); camera.position.set(0, -1.2 * dist, 1.2 * dist); camera.lookAt(0, 0, 0); group.updateMatrixWorld(true); }

  // ---- a strike (synth.js): the velocity at the vertex, or the pressure at a listener
  function synth(vi, mallet, velocity) {
    const j = hearSel ? Number(hearSel.value) : -1;
    const y = physsynthSynth(D, W, vi, mallet, velocity, j), n = y.length;
    const scale = j >= 0 ? D.listeners[j].out_scale : D.out_scale;
    // the model's output scale; a strike louder than full scale is turned down, never clipped
    let big = 0;
    for (let t = 0; t < n; t++) big = Math.max(big, Math.abs(scale * y[t]));
    const k = big > 0.95 ? 0.95 / big : 1;
    const out = new Float32Array(n);
    for (let t = 0; t < n; t++) out[t] = k * scale * y[t];
    out.limited = k < 1;
    return out;
  }
  let ctx = null;
  async function strike(vi) {
    const mallet = malletSel.value, velocity = Number(velIn.value);
    const x = synth(vi, mallet, velocity);
    marker.position.set(pos[3 * vi], pos[3 * vi + 1], pos[3 * vi + 2]); marker.visible = true;
    try {
      if (!ctx) ctx = new (window.AudioContext || window.webkitAudioContext)({ sampleRate: D.sr });
      const b = ctx.createBuffer(1, x.length, D.sr); b.copyToChannel(x, 0);
      const src = ctx.createBufferSource(); src.buffer = b; src.connect(ctx.destination); src.start();
    } catch (err) { status.textContent = "no audio output: " + err; }
    // the same through an OfflineAudioContext, reported into the page
    const off = new OfflineAudioContext(1, x.length, D.sr);
    const b2 = off.createBuffer(1, x.length, D.sr); b2.copyToChannel(x, 0);
    const s2 = off.createBufferSource(); s2.buffer = b2; s2.connect(off.destination); s2.start();
    const res = (await off.startRendering()).getChannelData(0);
    let peak = 0; for (let i = 0; i < res.length; i++) peak = Math.max(peak, Math.abs(res[i]));
    const p = [V[3 * vi], V[3 * vi + 1], V[3 * vi + 2]];
    status.textContent = "struck vertex " + vi + " at (" + p.map((v) => (1e3 * v).toFixed(1)).join(", ") + ") mm, " + mallet + ", peak " + peak.toFixed(3) + (x.limited ? " (turned down)" : "");
    document.getElementById("strike-result").textContent = JSON.stringify({ vertex: vi, position: p, mallet: mallet, velocity: velocity, listener: hearSel ? Number(hearSel.value) : -1, sr: D.sr, n: res.length, peak: peak, samples: b64(res) });
  }
  const ray = new THREE.Raycaster();
  function pick(cx, cy) {
    const r = renderer.domElement.getBoundingClientRect();
    ray.setFromCamera(new THREE.Vector2(((cx - r.left) / r.width) * 2 - 1, -((cy - r.top) / r.height) * 2 + 1), camera);
    const hit = ray.intersectObject(mesh, false)[0];
    if (!hit) return;
    const local = mesh.worldToLocal(hit.point.clone());
    let best = hit.face.a, bd = Infinity;
    for (const v of [hit.face.a, hit.face.b, hit.face.c]) { const d = Math.hypot(pos[3 * v] - local.x, pos[3 * v + 1] - local.y, pos[3 * v + 2] - local.z); if (d < bd) { bd = d; best = v; } }
    strike(best);
  }
  // for tests and scripts: where vertex vi is on the screen (CSS pixels)
  window.physsynth = {
    data: D,
    screenPoint: function (vi) { place(); const v = new THREE.Vector3(pos[3 * vi], pos[3 * vi + 1], pos[3 * vi + 2]); mesh.localToWorld(v); v.project(camera); const r = renderer.domElement.getBoundingClientRect(); return [r.left + (v.x + 1) / 2 * r.width, r.top + (1 - v.y) / 2 * r.height]; },
    frames: 0,
  };
  window.addEventListener("resize", () => { renderer.setSize(view.clientWidth, view.clientHeight); camera.aspect = view.clientWidth / view.clientHeight; camera.updateProjectionMatrix(); });
  const t0 = performance.now();
  function frame() {
    const k = Number(modeSel.value);
    if (k >= 0) {
      // slow-motion animation of mode k: 0.5 cycles per second, largest excursion 6 % of the size
      const amp = 0.06 * Math.sin(Math.PI * (performance.now() - t0) / 1000) / shapeMax[k];
      for (let i = 0; i < 3 * nv; i++) pos[i] = base[i] + amp * S[k * 3 * nv + i];
      geom.attributes.position.needsUpdate = true; geom.computeVertexNormals();
    }
    place(); renderer.render(scene, camera); window.physsynth.frames++;
    requestAnimationFrame(frame);
  }
  frame();
  document.body.dataset.ready = "1";
})();

// The physsynth strike page's synthesis: pure functions over the page's data, no DOM, so that
// the page (physsynth.export.web inlines this before page.js) and a test under node run the
// same code. A strike is a half-sine force at a surface vertex; each mode is an
// impulse-invariant resonator of its velocity (docs/theory.md, "Resonators"), read at the
// vertex itself (m/s) or at a listener in the air (Pa): a listener's complex gain on the mode
// (D.listeners[j].gains_re/im, on the modal velocity's analytic signal, with the flight
// delay's advance) is folded into the resonator's numerator, so a listener costs what the
// contact read costs (physsynth.simulate.linear.fold_gains, the same algebra).
"use strict";
function physsynthF32(s) { const b = atob(s), u = new Uint8Array(b.length); for (let i = 0; i < b.length; i++) u[i] = b.charCodeAt(i); return new Float32Array(u.buffer); }

// The samples (Float64Array, m/s at the vertex or Pa at listener `listener`, unscaled) of a
// strike at vertex vi with the mallet preset's contact time and velocity (x 0.01 N s).
function physsynthSynth(D, W, vi, mallet, velocity, listener) {
  const sr = D.sr, n = Math.round(D.duration * sr), dt = 1 / sr, nm = D.n_modes;
  const ct = D.mallets[mallet], impulse = D.impulse_per_velocity * velocity;
  const np_ = Math.ceil(ct * sr) + 1, f = new Float64Array(np_ + 1);
  let area = 0;
  for (let i = 0; i <= np_; i++) { const t = i / sr; f[i] = t < ct ? Math.sin(Math.PI * t / ct) : 0; area += f[i]; }
  area *= dt;
  if (area <= 0) { f[0] = 1; area = 0.5 * dt; }
  for (let i = 0; i <= np_; i++) f[i] *= impulse / area;
  const L = listener === undefined || listener === null || listener < 0 ? null : D.listeners[listener];
  const delay = L ? L.delay : 0;
  const y = new Float64Array(n);
  let direct = 0;  // the folds' non-resonant parts, summed over the modes: a tap on the force
  for (let k = 0; k < nm; k++) {
    const g = W[vi * nm + k], w0 = 2 * Math.PI * D.frequencies[k], s = D.decay_rates[k];
    if (g === 0 || w0 >= 0.98 * Math.PI * sr) continue;
    const wd = Math.sqrt((w0 - s) * (w0 + s)), r = Math.exp(-s * dt), th = wd * dt;
    const a1 = 2 * r * Math.cos(th), a2 = -r * r;
    // N(x) = n0 + n1 x: the velocity impulse response per unit drive, x = 1 / z
    const n0 = dt, n1 = -dt * r * (Math.cos(th) + (s / wd) * Math.sin(th));
    let b0, b1;
    if (!L) {
      b0 = g * g * n0; b1 = g * g * n1;
    } else {
      // P(x) = A + B x with P(1 / lam) = g G (lam = r e^{i th}); N P = q D + (b0 + b1 x)
      const cr = g * L.gains_re[k], ci = g * L.gains_im[k];
      if (cr === 0 && ci === 0) continue;
      const xr = Math.cos(th) / r, xi = -Math.sin(th) / r;
      const B = ci / xi, A = cr - B * xr, q = -n1 * B / a2;
      b0 = n0 * A - q; b1 = n0 * B + n1 * A + q * a1; direct += q;
    }
    let y1 = 0, y2 = 0, u1 = 0;
    for (let t = 0; t < n; t++) {
      const u = t <= np_ ? f[t] : 0;
      const yt = a1 * y1 + a2 * y2 + b0 * u + b1 * u1;
      y2 = y1; y1 = yt; u1 = u; y[t] += yt;
    }
  }
  for (let t = 0; t <= np_ && t < n; t++) y[t] += direct * f[t];
  if (delay > 0) { y.copyWithin(delay, 0, Math.max(n - delay, 0)); y.fill(0, 0, Math.min(delay, n)); }
  return y;
}
if (typeof module !== "undefined") module.exports = { synth: physsynthSynth, f32: physsynthF32 };

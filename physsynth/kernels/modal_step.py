"""One exact step of a bank of modes driven by point forces (shared by contact and friction).

The coefficients ``c`` (shape (8, n_modes): P11, P12, P21, P22, G0q, G1q, G0v, G1v) come from
``physsynth.simulate.modal.step_coefficients(omega, sigma, h=...)``; with them

    q <- P11 q + P12 v + G0q p0 + G1q p1,    v <- P21 q + P22 v + G0v p0 + G1v p1

is the exact response of every mode to a modal force varying linearly from p0 to p1 over the
step (docs/contact-theory.md, "Time stepping"). A point force F along d at node x enters mode
k as p_k = g_k F with g_k = phi_k(x) . d; the point's displacement and velocity along d are
u = sum_k g_k q_k and u' = sum_k g_k v_k.

For an implicit solve of a force that depends on the point's motion at the end of the step
(a contact law, a friction law), split the step: predict with the end force set to zero,
``modal_point_step(c, q, v, g, f0, 0.0)``, read u* = ``point_value(g, q)``, solve for f1 with

    u(end) = u* + A_q f1,   u'(end) = u'* + A_v f1,   (A_q, A_v) = point_admittance(c, g),

then add the end force's share with ``modal_point_step(c, q, v, g, 0.0, f1)`` restricted to
its G1 terms, i.e. ``add_end_force(c, q, v, g, f1)``. The four kernels below do exactly this.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def modal_free_step(c, q, v):  # pragma: no cover - numba
    """Advance free modes (no force) one step, in place. q, v: float64, shape (n_modes,)."""
    for k in range(q.shape[0]):
        qk = q[k]
        vk = v[k]
        q[k] = c[0, k] * qk + c[1, k] * vk
        v[k] = c[2, k] * qk + c[3, k] * vk


@njit(cache=True)
def modal_point_step(c, q, v, g, f0, f1):  # pragma: no cover - numba
    """Advance the modes one step under a point force going linearly from f0 to f1 (N).

    Parameters
    ----------
    c : float64, shape (8, n_modes)
        Step coefficients.
    q, v : float64, shape (n_modes,)
        Modal displacements and velocities, updated in place.
    g : float64, shape (n_modes,), 1/sqrt(kg)
        The point's modal weights phi_k(x) . d.
    f0, f1 : float
        Force at the start and at the end of the step, N.
    """
    for k in range(q.shape[0]):
        qk = q[k]
        vk = v[k]
        a = g[k] * f0
        b = g[k] * f1
        q[k] = c[0, k] * qk + c[1, k] * vk + c[4, k] * a + c[5, k] * b
        v[k] = c[2, k] * qk + c[3, k] * vk + c[6, k] * a + c[7, k] * b


@njit(cache=True)
def add_end_force(c, q, v, g, f1):  # pragma: no cover - numba
    """Add the response to a force f1 (N) at the end of the step (after a predictor step
    with f1 = 0): q += G1q g f1, v += G1v g f1."""
    for k in range(q.shape[0]):
        q[k] += c[5, k] * g[k] * f1
        v[k] += c[7, k] * g[k] * f1


@njit(cache=True)
def point_value(g, x):  # pragma: no cover - numba
    """sum_k g_k x_k: the point's displacement (x = q, m) or velocity (x = v, m/s)."""
    s = 0.0
    for k in range(g.shape[0]):
        s += g[k] * x[k]
    return s


@njit(cache=True)
def point_admittance(c, g):  # pragma: no cover - numba
    """One-step admittances of a point: (sum g^2 G1q, sum g^2 G1v), in m/N and m/(N s).

    The point's displacement (velocity) at the end of a step moves by this much per newton of
    force at the end of the step; both are >= 0 for modes below the Nyquist frequency.
    """
    aq = 0.0
    av = 0.0
    for k in range(g.shape[0]):
        gg = g[k] * g[k]
        aq += gg * c[5, k]
        av += gg * c[7, k]
    return aq, av

"""A free-free aluminium bar: FEM bending modes against Euler-Bernoulli beam theory.

Run: python examples/01_free_bar_vs_theory.py
Prints the first three bending frequencies in the thin direction, theory and error (%).
"""

import numpy as np

import physsynth as ps

L, b, h = 0.30, 0.012, 0.006  # m; L/h = 50 keeps shear and rotary inertia below 1 %
mat = ps.get_material("aluminium")
mesh = ps.bar_mesh(L, b, h, (50, 2, 1))
model = ps.modal_analysis(mesh, mat, n_modes=12)

# bending in z: modes whose displacement is mostly along z
energy = np.sum(model.shapes**2, axis=1)
bending_z = np.flatnonzero(energy[:, 2] / energy.sum(axis=1) > 0.8)[:3]

beta_l = np.array([4.730041, 7.853205, 10.995608])  # free-free roots of cos(x) cosh(x) = 1
f_eb = beta_l**2 / (2 * np.pi * L**2) * np.sqrt(mat.E * b * h**3 / 12 / (mat.rho * b * h))
print(
    f"free-free aluminium bar {L * 1e3:.0f} x {b * 1e3:.0f} x {h * 1e3:.0f} mm, "
    f"{model.dofs} DOF, {model.rigid_body_modes} rigid-body modes excluded"
)
print(f"{'mode':>4} {'FEM_Hz':>10} {'EB_Hz':>10} {'err_%':>7}")
for i, (k, fe) in enumerate(zip(bending_z, f_eb)):
    fm = model.frequencies[k]
    print(f"{i + 1:>4} {fm:>10.2f} {fe:>10.2f} {100 * (fm / fe - 1):>7.2f}")
err = np.max(np.abs(model.frequencies[bending_z] / f_eb - 1))
print(f"max_error_percent: {100 * err:.2f}")

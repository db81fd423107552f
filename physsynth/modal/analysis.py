"""Modal analysis: from a mesh and a material to a ModalModel.

The public entry, :func:`modal_analysis`, checks the request and hands it to a front end:
tetrahedral solids (:mod:`physsynth.modal.solid_analysis`) or plates and membranes on flat
triangle meshes (:mod:`physsynth.modal.sheet_analysis`); both run the one eigen pipeline of
:mod:`physsynth.modal.pipeline` (shift-invert Lanczos about a small negative shift, rigid-body
modes dropped). See docs/theory.md, "Eigenproblem".
"""

from __future__ import annotations

from physsynth import validate
from physsynth.errors import MeshError, PhyssynthError
from physsynth.materials import Material
from physsynth.mesh import Mesh
from physsynth.modal import linsolve, pipeline
from physsynth.modal.axisym_analysis import axisymmetric_request
from physsynth.modal.model import ModalModel
from physsynth.modal.sheet_analysis import F_SHIFT as SHEET_F_SHIFT
from physsynth.modal.sheet_analysis import check_sheet, sheet_modal_analysis
from physsynth.modal.solid_analysis import (
    F_SHIFT,
    RIGID_FRACTION,
    check_solid,
    solid_modal_analysis,
    stiffness_and_mass,
)

__all__ = ["modal_analysis", "check_modal_analysis", "stiffness_and_mass", "F_SHIFT", "RIGID_FRACTION"]


def modal_analysis(
    mesh: Mesh,
    material: Material,
    *,
    n_modes: int | None = None,
    fmax: float | None = None,
    order: int = 2,
    clamp=(),
    support=(),
    thickness: float | None = None,
    tension: float | None = None,
    areal_density: float | None = None,
    solver: str = "auto",
    f_shift: float | None = None,
    max_modes: int = 2000,
    axisymmetric: bool | dict = False,
) -> ModalModel:
    """Compute the vibration modes of an elastic object.

    A tetrahedral mesh is a 3D solid. A flat triangle mesh is a Kirchhoff plate when given a
    ``thickness`` (with the material), or a membrane when given ``tension`` and
    ``areal_density`` (the material then only supplies the damping law; None for a loss
    factor of 0.02).

    Parameters
    ----------
    mesh : Mesh
        Tetrahedral volume mesh, metres.
    material : Material
    n_modes : int, optional
        Number of elastic modes wanted (rigid-body modes are excluded and not counted).
    fmax : float, optional, Hz
        Compute every mode below this frequency instead (e.g. 20000 for the audible band).
        With neither n_modes nor fmax, 20 modes.
    order : {2, 1}
        Element order (P2 default; P1 is much too stiff in bending).
    clamp : sequence of str
        Region names or coordinate predicates (``"z<=0.001"``) whose nodes are held fixed
        (for plates: displacement and slope; ``"boundary"`` selects the whole boundary of a
        flat mesh).
    support : sequence of str
        Plates and membranes: simply supported parts (displacement fixed, slope free).
    thickness : float, optional, m
        Plate thickness (flat meshes).
    tension : float, optional, N/m
        Membrane tension (flat meshes).
    areal_density : float, optional, kg/m^2
        Membrane mass per area.
    solver : str
        Sparse factorisation backend: ``"auto"``, ``"cholmod"``, ``"pardiso"``, ``"superlu"``.
    f_shift : float, Hz
        The eigen-solver's shift is -(2 pi f_shift)^2 (default 10 Hz for solids, 1 Hz for
        plates and membranes, which can be very low).
    max_modes : int
        Safety limit on the number of modes computed (``n_modes``, or those below ``fmax``).
    axisymmetric : bool or dict
        Solve a body of revolution order by order on its meridian section
        (:func:`physsynth.modal.axisym_analysis.modal_analysis_axisymmetric`); ``mesh`` is then a
        :class:`~physsynth.profiles.Profile` or :class:`~physsynth.profiles.Section` (always
        solved this way), and a dict passes that function's further options (``size``,
        ``through_wall``, ``asymmetry``, ...).

    Returns
    -------
    ModalModel

    Raises
    ------
    PhyssynthError
        Before anything is assembled: counts that are not whole numbers >= 1, ``fmax`` not a
        positive frequency, more modes than the mesh can give (about a quarter of its degrees
        of freedom, :func:`physsynth.modal.pipeline.mode_limit`), a memory estimate above the
        budget (:func:`physsynth.validate.check_memory`), unknown region names or empty
        selectors (:class:`SelectorError`), an unknown or
        missing solver backend (:class:`SolverError`). After the solve: no mode found, or more
        zero-frequency modes than a free body has (:class:`SolverError`).
    """
    if axisymmetric is not False or not isinstance(mesh, Mesh):  # a body of revolution (issue 14)
        axi = axisymmetric_request(mesh, axisymmetric, support, thickness, tension, areal_density)
        if axi is not None:
            return axi(mesh, material, n_modes=n_modes, fmax=fmax, order=order, clamp=clamp, solver=solver,
                       f_shift=f_shift, max_modes=max_modes)  # fmt: skip
    r = _request(
        mesh, n_modes, fmax, order, clamp, support, thickness, tension, areal_density, solver, f_shift, max_modes
    )
    if mesh.dim == 2:
        return sheet_modal_analysis(mesh, material, **r)
    return solid_modal_analysis(mesh, material, **r)


def check_modal_analysis(
    mesh: Mesh,
    material: Material,
    *,
    n_modes: int | None = None,
    fmax: float | None = None,
    order: int = 2,
    clamp=(),
    support=(),
    thickness: float | None = None,
    tension: float | None = None,
    areal_density: float | None = None,
    solver: str = "auto",
    f_shift: float | None = None,
    max_modes: int = 2000,
) -> None:
    """Make every check :func:`modal_analysis` makes before assembling, and nothing else.

    For callers that refuse a whole job up front (a sweep spec, a command line) before any
    model is computed. The arguments are those of :func:`modal_analysis`; it raises what
    :func:`modal_analysis` would raise before its assembly, in milliseconds to a second (it
    counts the mesh's edges and evaluates selectors on its nodes).
    """
    r = _request(
        mesh, n_modes, fmax, order, clamp, support, thickness, tension, areal_density, solver, f_shift, max_modes
    )
    if mesh.dim == 2:
        check_sheet(
            mesh,
            material,
            n_modes=r["n_modes"],
            clamp=r["clamp"],
            support=r["support"],
            thickness=r["thickness"],
            tension=r["tension"],
            areal_density=r["areal_density"],
            max_modes=r["max_modes"],
            f_shift=SHEET_F_SHIFT if r["f_shift"] is None else r["f_shift"],
        )
    else:
        check_solid(
            mesh,
            material,
            n_modes=r["n_modes"],
            order=r["order"],
            clamp=r["clamp"],
            max_modes=r["max_modes"],
            f_shift=F_SHIFT if r["f_shift"] is None else r["f_shift"],
        )


def _request(mesh, n_modes, fmax, order, clamp, support, thickness, tension, areal_density, solver, f_shift, max_modes):
    """The checks common to every front end; the arguments of the front end, cleaned."""
    if not isinstance(mesh, Mesh):
        raise PhyssynthError(f"modal_analysis needs a Mesh (load_mesh, from_arrays), got {type(mesh).__name__}")
    clamp = _selectors(clamp, "clamp")
    support = _selectors(support, "support")
    n_modes, fmax, max_modes, f_shift = pipeline.check_request(n_modes, fmax, max_modes, f_shift)
    if not isinstance(solver, str):
        raise PhyssynthError(f"solver must be a backend name, got {solver!r}")
    if solver != "auto":  # "auto" always has one (SuperLU): nothing to import for it yet (MKL: 0.25 s)
        linsolve.check_backend(solver)
    order = validate.integer(order, "element order (--order)", error=MeshError)
    common = dict(n_modes=n_modes, fmax=fmax, clamp=clamp, solver=solver, f_shift=f_shift, max_modes=max_modes)
    if mesh.dim == 2:
        if order != 2:
            raise PhyssynthError(
                f"element order {order!r} is for tetrahedral solids; plates use Morley's element and "
                "membranes quadratic triangles (leave --order out)"
            )
        return common | dict(support=support, thickness=thickness, tension=tension, areal_density=areal_density)
    if thickness is not None or tension is not None or areal_density is not None:
        raise PhyssynthError(
            "thickness, tension and areal density are for flat triangle "
            "meshes (plates, membranes); this mesh is a tetrahedral solid"
        )
    if support:
        raise PhyssynthError("--support is for plates and membranes; clamp a solid instead")
    return common | dict(order=order)


def _selectors(value, name: str) -> list[str]:
    """A list of selector strings from one string or a sequence of them."""
    if isinstance(value, str):
        return [value]
    if value is None:
        return []
    try:
        items = list(value)
    except TypeError:
        raise PhyssynthError(f"{name} takes region names or predicates (text), got {value!r}") from None
    for v in items:
        if not isinstance(v, str):
            raise PhyssynthError(f"{name} takes region names or predicates (text), got {v!r}")
    return items

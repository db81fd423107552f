"""Meshes: volume meshes through meshio, surface meshes through trimesh and a tetrahedraliser.

:func:`load_mesh` is the one entry point: a tetrahedral volume mesh (:mod:`.volume`), a flat
triangle mesh (a plate or membrane), or a surface file (STL, OBJ, PLY, OFF, glTF/GLB, or a
triangle-only .msh/.vtu) checked, repaired and tetrahedralised (:mod:`.surface`, :mod:`.tetra`).
"""

from __future__ import annotations

from physsynth.mesh import surface, tetra
from physsynth.mesh.volume import (
    MAX_COORDINATE,
    MAX_EXTENT,
    MAX_GENERATED_NODES,
    MIN_EXTENT,
    PLAUSIBLE_EXTENT,
    TET_EDGES,
    TRI_EDGES,
    UNITS,
    Mesh,
    Region,
    bar_mesh,
    characteristic_length,
    check_path,
    from_arrays,
    read_volume,
    save_mesh,
    tet_volumes,
    tri_areas,
)

__all__ = [
    "MAX_COORDINATE",
    "MAX_EXTENT",
    "MAX_GENERATED_NODES",
    "MIN_EXTENT",
    "PLAUSIBLE_EXTENT",
    "TET_EDGES",
    "TRI_EDGES",
    "UNITS",
    "Mesh",
    "Region",
    "bar_mesh",
    "characteristic_length",
    "from_arrays",
    "load_mesh",
    "read_volume",
    "save_mesh",
    "surface",
    "tet_volumes",
    "tetra",
    "tri_areas",
]


def load_mesh(path, *, units: str = "m", **surface_options) -> Mesh:
    """Load a mesh: a tetrahedral volume mesh from any file meshio reads, or a surface.

    Parameters
    ----------
    path : str or path-like
        A volume mesh (gmsh .msh 2.2 or 4.1, .vtu, .xdmf, Abaqus .inp, medit .mesh, ...), a flat
        triangle mesh in the xy-plane (a plate or membrane), or a closed surface (STL, OBJ, PLY,
        OFF, glTF/GLB, or a triangle-only .msh/.vtu), which is checked, repaired and
        tetrahedralised (:func:`physsynth.mesh.tetra.surface_mesh`).
    units : {"m", "cm", "mm", "in"}
        Length unit of the file's coordinates; converted to metres.
    **surface_options
        For a surface: ``thickness``, ``side``, ``repair``, ``body``, ``size``, ``target_dofs``,
        ``fmax``, ``n_modes``, ``material``, ``order``, ``mesher``, ``cache`` (see
        :func:`~physsynth.mesh.tetra.surface_mesh`). Ignored for a volume mesh.

    Returns
    -------
    Mesh

    Raises
    ------
    MeshError
        Missing or unreadable file, no tetrahedra (a hexahedral mesh), a surface that cannot be
        closed or meshed, bad cells.
    """
    path = check_path(path, units)
    if surface.is_surface_file(path):
        return tetra.surface_mesh(path, units=units, **surface_options)
    mesh = read_volume(path, units=units)
    if mesh is None:
        return tetra.surface_mesh(path, units=units, **surface_options)
    return mesh

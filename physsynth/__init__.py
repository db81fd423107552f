"""physsynth: the sound of an object from its shape.

The pipeline, each step a small function::

    mesh = physsynth.load_mesh("meshes/tibetan_bowl_180.msh")
    model = physsynth.modal_analysis(mesh, physsynth.get_material("bell_bronze"), fmax=8000)
    hit = physsynth.strike(model, at=(0.09, 0, 0.08), mallet="medium", sr=48000)
    audio = physsynth.render(model, hit, duration=6.0)
    physsynth.write_wav("bowl.wav", audio, sr=48000)

The public names are re-exported here lazily (PEP 562): ``physsynth.X`` imports the module
that defines ``X`` on first use, so ``import physsynth.cli`` or ``import physsynth.validate``
does not pay for numba, scipy and scikit-fem, and a command line refused for bad input
answers at once.
"""

from __future__ import annotations

import importlib

from physsynth._version import __version__ as __version__

#: Every public name and the module that defines it. The only place to edit when a name moves.
_PUBLIC: dict[str, str] = {
    # errors
    "PhyssynthError": "physsynth.errors",
    "AudioError": "physsynth.errors",
    "MaterialError": "physsynth.errors",
    "MeshError": "physsynth.errors",
    "ModelFileError": "physsynth.errors",
    "RenderError": "physsynth.errors",
    "SelectorError": "physsynth.errors",
    "SolverError": "physsynth.errors",
    "StabilityError": "physsynth.errors",
    # geometry
    "Mesh": "physsynth.mesh",
    "Region": "physsynth.mesh",
    "bar_mesh": "physsynth.mesh",
    "from_arrays": "physsynth.mesh",
    "load_mesh": "physsynth.mesh",
    "save_mesh": "physsynth.mesh",
    "read_surface": "physsynth.mesh.surface",
    "surface_mesh": "physsynth.mesh.tetra",
    "Profile": "physsynth.profiles",
    "read_profile": "physsynth.profiles",
    "bowl_profile": "physsynth.profiles",
    "bell_profile": "physsynth.profiles",
    "glass_profile": "physsynth.profiles",
    # materials and damping laws
    "LIBRARY": "physsynth.materials",
    "Material": "physsynth.materials",
    "custom_material": "physsynth.materials",
    "get_material": "physsynth.materials",
    "LossFactor": "physsynth.damping",
    "Rayleigh": "physsynth.damping",
    "TwoT60": "physsynth.damping",
    # modal analysis
    "modal_analysis": "physsynth.modal.analysis",
    "modal_analysis_axisymmetric": "physsynth.modal.axisym_analysis",
    "tune_profile": "physsynth.tune",
    "ModalModel": "physsynth.modal.model",
    # excitation
    "MALLETS": "physsynth.excitation.strike",
    "Strike": "physsynth.excitation.strike",
    "contact_pulse": "physsynth.excitation.strike",
    "strike": "physsynth.excitation.strike",
    "Mallet": "physsynth.excitation.mallet",
    "get_mallet": "physsynth.excitation.mallet",
    "mallet_strike": "physsynth.simulate.score",
    "ModalState": "physsynth.simulate.modal",
    "Event": "physsynth.excitation.score",
    "Score": "physsynth.excitation.score",
    "ScoreError": "physsynth.excitation.score",
    "read_score": "physsynth.excitation.score",
    "render_score": "physsynth.simulate.score",
    "force_from_wav": "physsynth.excitation.signals",
    "force_strike": "physsynth.excitation.signals",
    "noise_burst": "physsynth.excitation.signals",
    "pluck_state": "physsynth.simulate.modal",
    "FrictionLaw": "physsynth.excitation.friction",
    "bow_modal": "physsynth.simulate.friction",
    "rub": "physsynth.simulate.friction",
    # rendering
    "Pickup": "physsynth.pickups",
    "pickup": "physsynth.pickups",
    "render": "physsynth.simulate.linear",
    "resonator_coefficients": "physsynth.simulate.modal",
    "VoiceEngine": "physsynth.simulate.engine",
    # audio
    "fade_out": "physsynth.audio",
    "normalise": "physsynth.audio",
    "read_wav": "physsynth.audio",
    "spectral_centroid": "physsynth.measure",
    "write_wav": "physsynth.audio",
    # seeing the modes and sounds (matplotlib is imported inside the drawing functions)
    "Sound": "physsynth.viz",
    "animate_mode": "physsynth.viz",
    "export_modes": "physsynth.viz",
    "plot_modes": "physsynth.viz",
    "plot_sound": "physsynth.viz",
    # taking a model elsewhere (JSON, Faust, a web page)
    "PortableModel": "physsynth.export.model_json",
    # sweeps rendered into datasets ("batch" is the sub-package itself)
    "batch": "physsynth.batch",
    "run_batch": "physsynth.batch",
}

__all__ = sorted(["__version__", *_PUBLIC])


def _resolve(name: str):
    module = importlib.import_module(_PUBLIC[name])
    # A name that is its own sub-package (``batch``) is the module itself.
    obj = module if module.__name__ == f"{__name__}.{name}" and not hasattr(module, name) else getattr(module, name)
    globals()[name] = obj  # cached: __getattr__ runs once per name
    return obj


def __getattr__(name: str):
    if name in _PUBLIC:
        return _resolve(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))

"""physsynth: the sound of an object from its shape.

The pipeline, each step a small function::

    mesh = physsynth.load_mesh("meshes/tibetan_bowl_180.msh")
    model = physsynth.modal_analysis(mesh, physsynth.get_material("bell_bronze"), fmax=8000)
    hit = physsynth.strike(model, at=(0.09, 0, 0.08), mallet="medium", sr=48000)
    audio = physsynth.render(model, hit, duration=6.0)
    physsynth.write_wav("bowl.wav", audio, sr=48000)
"""

__version__ = "0.1.0"

from physsynth.audio import fade_out, normalise, read_wav, spectral_centroid, write_wav
from physsynth.errors import (
    AudioError,
    MaterialError,
    MeshError,
    ModelFileError,
    PhyssynthError,
    RenderError,
    SelectorError,
    SolverError,
    StabilityError,
)
from physsynth.excitation.strike import MALLETS, Strike, contact_pulse, strike
from physsynth.materials import LIBRARY, Material, custom_material, get_material
from physsynth.mesh import Mesh, Region, bar_mesh, from_arrays, load_mesh
from physsynth.modal.analysis import modal_analysis
from physsynth.damping import LossFactor, Rayleigh, TwoT60
from physsynth.modal.model import ModalModel
from physsynth.render import Pickup, pickup, render, resonator_coefficients

__all__ = [
    "AudioError",
    "LIBRARY",
    "LossFactor",
    "MALLETS",
    "Material",
    "MaterialError",
    "Mesh",
    "MeshError",
    "ModalModel",
    "ModelFileError",
    "PhyssynthError",
    "Pickup",
    "Rayleigh",
    "Region",
    "RenderError",
    "SelectorError",
    "SolverError",
    "StabilityError",
    "Strike",
    "TwoT60",
    "__version__",
    "bar_mesh",
    "fade_out",
    "contact_pulse",
    "custom_material",
    "from_arrays",
    "get_material",
    "load_mesh",
    "modal_analysis",
    "normalise",
    "pickup",
    "read_wav",
    "render",
    "resonator_coefficients",
    "spectral_centroid",
    "strike",
    "write_wav",
]

# Seeing the modes and sounds (matplotlib is imported lazily, inside the drawing functions).
from physsynth.viz import Sound, animate_mode, export_modes, plot_modes, plot_sound  # noqa: E402

__all__ += ["Sound", "animate_mode", "export_modes", "plot_modes", "plot_sound"]

# Physical mallets, other excitations and scores of events (kernels imported lazily).
from physsynth.excitation import (  # noqa: E402
    Event,
    Mallet,
    ModalState,
    Score,
    ScoreError,
    force_from_wav,
    force_strike,
    get_mallet,
    mallet_strike,
    noise_burst,
    pluck_state,
    read_score,
    render_score,
)

__all__ += [
    "Event",
    "Mallet",
    "ModalState",
    "Score",
    "ScoreError",
    "force_from_wav",
    "force_strike",
    "get_mallet",
    "mallet_strike",
    "noise_burst",
    "pluck_state",
    "read_score",
    "render_score",
]

# Rubbing a bowl's rim, bowing a point (friction excitation).
from physsynth.excitation.friction import FrictionLaw, bow_modal, rub  # noqa: E402

__all__ += ["FrictionLaw", "bow_modal", "rub"]

# Sweeps rendered into datasets, on Dask or serially (dask is imported only when a run needs it).
from physsynth import batch  # noqa: E402
from physsynth.batch import run_batch  # noqa: E402

__all__ += ["batch", "run_batch"]

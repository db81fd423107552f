"""A short piece from a MIDI file, played with felt mallets on a steel plate.

Run: python examples/13_score_from_midi.py [--model MODEL.npz] [--outdir .]
Writes a MIDI file with mido (a melody at 100 bpm, a two-note chord at the end), maps its
notes to strike points (a JSON-style map: some notes placed by hand, the rest spread over the
surface), and renders it in one continuous simulation: later notes strike a plate that is
still ringing, and the two mallets of the chord are solved together. Prints `key: value`
lines, among them the onset error of every mallet contact against round(t * sr) (+1 sample:
a mallet touching at t moves the plate from the next sample on). Writes midi_piece.mid,
midi_piece.wav.
"""

import argparse
import os
import time

import mido
import numpy as np

import physsynth as ps
from physsynth.excitation.score import read_score
from physsynth.simulate.score import render_score

HERE = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--model", help="a saved modal model (default: a 300 x 200 x 2 mm steel plate)")
ap.add_argument("--outdir", default=".")
args = ap.parse_args()

sr = 48000
if args.model:
    model = ps.ModalModel.load(args.model)
else:
    mesh = ps.load_mesh(os.path.join(HERE, "..", "meshes", "plate_rect_300x200.msh"))
    model = ps.modal_analysis(mesh, ps.get_material("steel"), fmax=8000.0, thickness=0.002, support=["edge"])

# --- the MIDI file: 100 bpm, 480 ticks per beat, eighth notes, a chord to end
mid = mido.MidiFile(ticks_per_beat=480)
track = mido.MidiTrack()
mid.tracks.append(track)
track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(100), time=0))
melody = [60, 64, 67, 72, 67, 64, 62, 65, 69, 74]
velocities = [70, 60, 80, 110, 70, 60, 75, 65, 90, 120]
for note, vel in zip(melody, velocities):
    track.append(mido.Message("note_on", note=note, velocity=vel, time=0))
    track.append(mido.Message("note_off", note=note, velocity=0, time=240))
track.append(mido.Message("note_on", note=60, velocity=100, time=240))  # the chord
track.append(mido.Message("note_on", note=67, velocity=100, time=0))
track.append(mido.Message("note_off", note=60, velocity=0, time=960))
track.append(mido.Message("note_off", note=67, velocity=0, time=0))
midi_path = os.path.join(args.outdir, "midi_piece.mid")
mid.save(midi_path)

# --- the map: C4 and G4 at chosen points; the other notes spread over the surface
lo, hi = model.mesh.bounding_box
span = hi - lo
mapping = {
    "kind": "mallet",
    "mallet": "felt",
    "velocity_max": 2.0,
    "notes": {"60": {"at": list(lo + span * [0.23, 0.25, 0.5])}, "67": {"at": list(lo + span * [0.61, 0.70, 0.5])}},
}
score = read_score(midi_path, midi_map=mapping)
pickups = [ps.pickup(model, lo + span * [0.7, 0.35, 0.5]), ps.pickup(model, lo + span * [0.3, 0.65, 0.5])]
t0 = time.perf_counter()
res = render_score(model, score, pickups, sr=sr, tail=1.5)
elapsed = time.perf_counter() - t0
audio = ps.fade_out(res.audio, sr=sr)
out = ps.write_wav(os.path.join(args.outdir, "midi_piece.wav"), audio, sr=sr)

# --- onsets: every contact starts on the sample after round(t sr)
expected = sorted({int(round(e.time * sr)) + 1 for e in score.events})
on = res.force > 0
edges = np.flatnonzero(on[1:] & ~on[:-1]) + 1
err = max(int(np.min(np.abs(edges - e))) for e in expected)
duration = res.audio.shape[1] / sr
print(f"model: {model.summary()}")
for e, st in zip(score.events, res.mallets):
    print(
        f"  {e.time:6.3f} s  note at node {st['node']:5d}  v = {e.params['velocity']:.2f} m/s  "
        f"contact {1e3 * st['contact_time']:.2f} ms  peak {st['peak_force']:6.1f} N"
    )
print(f"events: {len(score)}")
print(f"duration_s: {duration:.3f}")
print(f"render_time_s: {elapsed:.3f}")
print(f"realtime_factor: {duration / elapsed:.1f}")
print(f"onset_error_samples: {err}")
print(f"wrote: {out}")

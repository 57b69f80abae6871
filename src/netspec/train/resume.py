"""What lets a killed training continue where it stopped, as if it never had: the state saved
after every epoch (by netspec.train.callbacks) read back, with each layer's random stream where it
was, and a halving rung's kept state adopted by the next rung."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np

RESUME_DIR = ".resume"  # inside the experiment's output folder; removed after a finished run


def _seed_generators(keras, model):
    """(name, generator) for every random stream a layer draws from (dropout masks, noise)."""
    for layer in model._flatten_layers(include_self=False):
        for attribute, value in vars(layer).items():
            if isinstance(value, keras.random.SeedGenerator):
                yield f"{layer.name}/{attribute}", value


def random_states(keras, model) -> dict:
    """The position of each layer's random stream: a saved .keras model does not keep them, and
    a resumed run would otherwise draw the first epochs' dropout masks again."""
    return {
        name: generator.state.numpy().tolist() for name, generator in _seed_generators(keras, model)
    }


def restore_random_states(keras, model, states: dict) -> None:
    for name, generator in _seed_generators(keras, model):
        generator.state.assign(np.asarray(states[name], dtype=generator.state.dtype))


def plain_name(resume: Path, text: str) -> Path:
    """A file named in progress.json: a plain name inside `resume` (runs saved before names
    were plain wrote the path of a file directly inside it, which is read as its name).
    Anything else (another folder, `..`, a separator) is damage: ValueError."""
    path = Path(text)
    if len(path.parts) > 1 and path.parent.resolve() == resume.resolve():
        path = Path(path.name)
    if len(path.parts) != 1 or path.name in ("", ".", "..") or not _PLAIN.fullmatch(path.name):
        raise ValueError(f"{text!r} is not a plain file name inside {resume}")
    return resume / path.name


_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def resume_point(keras, resume: Path, digest: str) -> tuple[object, list[dict], dict]:
    """(model, epochs done, the saved state of each callback) from an interrupted run of this
    same experiment, else (None, [], {}). A damaged state is set aside, never a crash."""
    progress_file = resume / "progress.json"
    if not progress_file.exists():
        return None, [], {}
    try:
        progress = json.loads(progress_file.read_text())
        state = plain_name(resume, progress["state"])
        if progress.get("digest") != digest or not state.exists():
            return None, [], {}  # a different experiment trained here before
        model = keras.models.load_model(state)
        restore_random_states(keras, model, progress["random_states"])
        kept = {
            name: progress[name] for name in ("selection", "early_stopping") if name in progress
        }
        for saved in kept.values():
            if saved.get("weights"):
                saved["weights"] = str(plain_name(resume, saved["weights"]))
        return model, list(progress["epochs"]), kept
    except Exception as error:  # noqa: BLE001 - truncated JSON, a damaged .keras file, ...
        print(f"the saved state in {resume} is damaged ({error}); starting afresh", flush=True)
        for leftover in resume.iterdir():
            shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
        return None, [], {}


def adopt(resume: Path, kept: Path, digest: str, lineage: str, epochs: int) -> int:
    """Take the state a halving sweep's previous rung kept in `kept` as this run's resume state,
    if it is of the same lineage (what trains, less the epoch count) and has no more epochs
    than this run trains; the epochs it holds (0: nothing taken, a fresh start)."""
    try:
        progress = json.loads((kept / "progress.json").read_text())
        done = len(progress["epochs"])
        if progress.get("lineage") != lineage or done > epochs:
            return 0
        names = {plain_name(kept, progress["state"]).name}
        names |= {
            plain_name(kept, progress[k]["weights"]).name
            for k in ("selection", "early_stopping")
            if progress.get(k, {}).get("weights")
        }
        for name in names:
            shutil.copyfile(kept / name, resume / name)
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"the kept state in {kept} cannot be used ({error}); starting afresh", flush=True)
        return 0
    progress["digest"] = digest
    (resume / "progress.json.tmp").write_text(json.dumps(progress))
    (resume / "progress.json.tmp").replace(resume / "progress.json")
    return done


def keep_state(resume: Path, kept: Path) -> None:
    """A finished halving run's resume state kept as its rung's state (the next rung continues
    from it), replacing what an earlier training of this rung kept."""
    if kept.exists():
        shutil.rmtree(kept)
    resume.replace(kept)

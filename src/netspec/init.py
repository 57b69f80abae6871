"""`netspec init DIR`: a new study in its own folder (or repository), with netspec as a
dependency. The study's Snakefile uses the workflow shipped inside the package as a Snakemake
module, so upgrading netspec upgrades the workflow and the study keeps only what is its own:
specs, config, profiles."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

# template file (under netspec/workflow/study/) -> where it goes in the study
FILES = {
    "Snakefile": "Snakefile",
    "config/config.yaml.in": "config/config.yaml",
    "specs/_base.json": "specs/_base.json",
    "specs/cnn_dropout.json": "specs/cnn_dropout.json",
    "profiles/README.md": "profiles/README.md",
    "profiles/default/config.yaml": "profiles/default/config.yaml",
    "profiles/local/config.yaml": "profiles/local/config.yaml",
    "profiles/slurm/config.yaml": "profiles/slurm/config.yaml",
    "gitignore": ".gitignore",
}
SCHEMA = "schemas/spec.schema.json"  # what the specs' "$schema" names, for editors


def template_folder() -> Path:
    return Path(str(resources.files("netspec").joinpath("workflow/study")))


def init_study(folder: str | Path, title: str | None = None) -> list[Path]:
    """Write a new study into `folder` (absent or empty); returns the files written."""
    from netspec.spec.schema import schema_text

    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise FileExistsError(f"{folder} exists and is not an empty folder: choose a new one")
    title = title or folder.resolve().name
    templates = template_folder()
    written = []
    for source, target in FILES.items():
        path = folder / target
        path.parent.mkdir(parents=True, exist_ok=True)
        if source.endswith(".in"):
            text = (templates / source).read_text(encoding="utf-8")
            path.write_text(text.replace("{title}", json.dumps(title)), encoding="utf-8")
        else:
            shutil.copyfile(templates / source, path)
        written.append(path)
    schema = folder / SCHEMA
    schema.parent.mkdir(parents=True, exist_ok=True)
    schema.write_text(schema_text(), encoding="utf-8")
    written.append(schema)
    return written

"""Prepare a dataset once for every experiment, and read the prepared file in a training job."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from netspec.data.kinds import DataSource
from netspec.data.readers import load


def prepare(source: str | dict, target: str | Path) -> dict:
    """Load a dataset (a spec's `data.dataset` value) and write it for every experiment: images
    with a channel axis, labels as int64, and the factor that scales pixels to [0, 1] (kept
    apart, so 8-bit images stay uint8 on disk, a quarter of their float32 size)."""
    (x_train, y_train, x_test, y_test), peak = load(DataSource.of(source))
    x_train, x_test = (x if x.ndim == 4 else x[..., None] for x in (x_train, x_test))
    compact = np.issubdtype(x_train.dtype, np.integer) and peak <= 255
    dtype = np.uint8 if compact else np.float32
    x_train, x_test = x_train.astype(dtype), x_test.astype(dtype)
    scale = 1.0 / peak if peak > 1 else 1.0
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial.npz")
    arrays = {
        "x_train": x_train,
        "y_train": y_train.astype(np.int64).ravel(),
        "x_test": x_test,
        "y_test": y_test.astype(np.int64).ravel(),
        "scale": np.float32(scale),
    }
    write_npz(partial, arrays)
    partial.replace(target)
    return {
        "train": len(x_train),
        "test": len(x_test),
        "shape": list(x_train.shape[1:]),
        "dtype": str(x_train.dtype),
        "scale": scale,
    }


def write_npz(path: Path, arrays: dict) -> None:
    """np.savez, but the same arrays always give the same bytes (no timestamps in the zip), so
    Snakemake's checksums see a re-prepared dataset as unchanged and retrain nothing."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with archive.open(entry, "w", force_zip64=True) as handle:
                np.lib.format.write_array(handle, np.asanyarray(array), allow_pickle=False)


def load_prepared(path: str | Path):
    """x_train, y_train, x_test, y_test from a prepared file, images as float32 in [0, 1]."""
    with np.load(path) as arrays:
        scale = np.float32(arrays["scale"])
        return (
            arrays["x_train"].astype(np.float32) * scale,
            arrays["y_train"],
            arrays["x_test"].astype(np.float32) * scale,
            arrays["y_test"],
        )

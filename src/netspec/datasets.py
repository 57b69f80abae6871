"""The dataset registry: what each dataset is (shape, classes) without loading it, and how to load it.

`info()` is pure and cheap (an npz file's shapes are read from its headers), so specs are checked
against their data at parse time. `load()` reads the real arrays; only Keras' loaders import TF.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from netspec.errors import SpecError

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    input_shape: tuple[int, ...]
    num_classes: int
    train_samples: int


@dataclass(frozen=True)
class DatasetType:
    info: DatasetInfo
    load: Callable[[], tuple]  # () -> x_train, y_train, x_test, y_test as numpy arrays
    pixel_max: int = 255  # the raw intensity that scales to 1.0


def _load_digits():
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = digits.images.astype(np.uint8)  # 8x8, integer intensities 0..16
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=0.25, random_state=0, stratify=digits.target
    )
    return x_train, y_train, x_test, y_test


def _keras_loader(module: str, files: str) -> Callable:
    def load():
        import keras  # Keras' own loader and cache: the only TF import in data preparation

        try:
            (x_train, y_train), (x_test, y_test) = getattr(keras.datasets, module).load_data()
        except Exception as error:  # network refused, hash mismatch, truncated file...
            raise SpecError.one(
                module,
                ("data", "dataset"),
                f"keras.datasets.{module}.load_data() failed ({type(error).__name__}: {error}). "
                f"Put {files} in {keras_cache()}/datasets/ (KERAS_HOME moves it), "
                'or convert the data to {"npz": "path"} with x_train, y_train, x_test, y_test',
            ) from error
        return x_train, y_train.reshape(-1), x_test, y_test.reshape(-1)

    return load


def keras_cache() -> str:
    return os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))


DATASETS: dict[str, DatasetType] = {
    "digits": DatasetType(DatasetInfo("digits", (8, 8, 1), 10, 1347), _load_digits, pixel_max=16),
    "mnist": DatasetType(
        DatasetInfo("mnist", (28, 28, 1), 10, 60000),
        _keras_loader("mnist", "mnist.npz"),
        "mnist.npz",
    ),
    "fashion_mnist": DatasetType(
        DatasetInfo("fashion_mnist", (28, 28, 1), 10, 60000),
        _keras_loader("fashion_mnist", "fashion-mnist/*-ubyte.gz"),
    ),
    "cifar10": DatasetType(
        DatasetInfo("cifar10", (32, 32, 3), 10, 50000),
        _keras_loader("cifar10", "cifar-10-batches-py.tar.gz"),
    ),
}


def npz_info(path: str | Path, num_classes: int | None, file: str, where: tuple) -> DatasetInfo:
    """Shapes and class count of a user npz, checked without loading its images."""
    import numpy as np  # here, not at the top: validating registered datasets needs no numpy

    path = Path(path)
    if not path.is_file():
        raise SpecError.one(file, where, f"expected an existing .npz file, received {str(path)!r}")
    try:
        with zipfile.ZipFile(path) as archive:
            shapes = {name[:-4]: _npy_shape(archive, name) for name in archive.namelist()}
            missing = [key for key in NPZ_KEYS if key not in shapes]
            if missing:
                raise SpecError.one(
                    file,
                    where,
                    f"{path}: expected arrays {', '.join(NPZ_KEYS)}; "
                    f"missing {', '.join(missing)} (found {', '.join(sorted(shapes)) or 'none'})",
                )
            with np.load(path) as arrays:
                labels = np.concatenate([arrays["y_train"].ravel(), arrays["y_test"].ravel()])
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise SpecError.one(file, where, f"{path}: not a readable .npz file ({error})") from error
    problems = check_npz_shapes(shapes, labels)
    classes = num_classes if num_classes is not None else int(labels.max(initial=0)) + 1
    if labels.size and labels.max() >= classes:
        problems.append(f"labels must be below num_classes {classes}, found {labels.max()}")
    if problems:
        raise SpecError.one(file, where, f"{path}: " + "; ".join(problems))
    image = shapes["x_train"][1:]
    input_shape = image + (1,) if len(image) == 2 else image
    return DatasetInfo(f"npz:{path}", tuple(input_shape), classes, shapes["x_train"][0])


def _npy_shape(archive: zipfile.ZipFile, name: str) -> tuple[int, ...]:
    import numpy as np

    with archive.open(name) as handle:
        version = np.lib.format.read_magic(handle)
        fmt = np.lib.format
        read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
        return tuple(read(handle)[0])


def check_npz_shapes(shapes: dict, labels) -> list[str]:
    """What is wrong with a user dataset's arrays, in words (empty when nothing is)."""
    import numpy as np

    problems = []
    for split in ("train", "test"):
        x, y = shapes[f"x_{split}"], shapes[f"y_{split}"]
        if len(x) not in (3, 4):
            problems.append(f"x_{split} must be (samples, height, width[, channels]), has {x}")
        if x[:1] != y[:1] or len(y) != 1:
            problems.append(f"x_{split} has {x[0]} samples but y_{split} has shape {y}")
    if shapes["x_train"][1:] != shapes["x_test"][1:]:
        problems.append(
            f"x_train images are {shapes['x_train'][1:]} but x_test's are {shapes['x_test'][1:]}"
        )
    if labels.size and (not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0):
        problems.append(
            "labels must be integers 0..classes-1, found "
            f"{labels.dtype} values from {labels.min()} to {labels.max()}"
        )
    return problems


def load_npz(path: str | Path):
    import numpy as np

    with np.load(path) as arrays:
        return tuple(arrays[key] for key in NPZ_KEYS)


def prepare(source: str | dict, target: str | Path) -> dict:
    """Load a dataset once and write it for every experiment: images with a channel axis,
    labels as int64, and the factor that scales pixels to [0, 1] (kept apart so uint8 data
    stays uint8 on disk: Fashion-MNIST is 55 MB this way, 220 MB as float32)."""
    import numpy as np

    if isinstance(source, str):
        x_train, y_train, x_test, y_test = DATASETS[source].load()
        peak = DATASETS[source].pixel_max
    else:
        x_train, y_train, x_test, y_test = load_npz(source["npz"])
        peak = float(max(np.abs(x_train).max(initial=0), np.abs(x_test).max(initial=0)))
        if np.issubdtype(x_train.dtype, np.integer) and peak <= 255:
            peak = 255  # 8-bit images, however dark
    x_train, x_test = (x if x.ndim == 4 else x[..., None] for x in (x_train, x_test))
    compact = np.issubdtype(x_train.dtype, np.integer) and peak <= 255
    dtype = np.uint8 if compact else np.float32
    x_train, x_test = x_train.astype(dtype), x_test.astype(dtype)
    scale = 1.0 / peak if peak > 1 else 1.0
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial.npz")
    np.savez(
        partial,
        x_train=x_train,
        y_train=y_train.astype(np.int64).ravel(),
        x_test=x_test,
        y_test=y_test.astype(np.int64).ravel(),
        scale=np.float32(scale),
    )
    partial.replace(target)
    return {
        "train": len(x_train),
        "test": len(x_test),
        "shape": list(x_train.shape[1:]),
        "dtype": str(x_train.dtype),
        "scale": scale,
    }


def load_prepared(path: str | Path):
    """x_train, y_train, x_test, y_test from a prepared file, images as float32 in [0, 1]."""
    import numpy as np

    with np.load(path) as arrays:
        scale = np.float32(arrays["scale"])
        return (
            arrays["x_train"].astype(np.float32) * scale,
            arrays["y_train"],
            arrays["x_test"].astype(np.float32) * scale,
            arrays["y_test"],
        )

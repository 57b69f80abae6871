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
    cache_hint: str  # where the raw files live, for error messages


def _load_digits():
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = digits.images.astype(np.float32)  # 8x8, values 0..16
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
    "digits": DatasetType(DatasetInfo("digits", (8, 8, 1), 10, 1347), _load_digits, "scikit-learn"),
    "mnist": DatasetType(
        DatasetInfo("mnist", (28, 28, 1), 10, 60000),
        _keras_loader("mnist", "mnist.npz"),
        "mnist.npz",
    ),
    "fashion_mnist": DatasetType(
        DatasetInfo("fashion_mnist", (28, 28, 1), 10, 60000),
        _keras_loader("fashion_mnist", "fashion-mnist/*-ubyte.gz"),
        "fashion-mnist/",
    ),
    "cifar10": DatasetType(
        DatasetInfo("cifar10", (32, 32, 3), 10, 50000),
        _keras_loader("cifar10", "cifar-10-batches-py.tar.gz"),
        "cifar-10-batches-py",
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

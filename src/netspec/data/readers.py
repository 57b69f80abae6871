"""Reading datasets into numpy arrays: Keras' cache files (parsed here, never unpickled freely),
scikit-learn's bundled digits, and the user's npz files."""

from __future__ import annotations

import gzip
import pickle
import zipfile
from pathlib import Path

import numpy as np

from netspec.data.kinds import (
    CIFAR_FILES,
    CIFAR_FOLDER,
    DATASETS,
    FASHION_FILES,
    Arrays,
    DatasetInfo,
    DatasetKind,
    DataSource,
    keras_cache,
    not_loadable,
)
from netspec.errors import SpecError

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
# The only globals a CIFAR batch may name: numpy's array reconstruction (Keras allows the same).
PICKLE_GLOBALS = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
}


def load(source: DataSource) -> tuple[Arrays, float]:
    """The raw arrays a spec's `data.dataset` names, and the intensity that scales to 1.0."""
    if source.name is None:
        return read_user_npz(source.npz)
    kind = DATASETS[source.name]
    return read_registered(kind, keras_cache()), kind.pixel_max


def read_registered(kind: DatasetKind, cache: Path) -> Arrays:
    """A registered dataset from Keras' cache, parsed by netspec; Keras downloads the files only
    when they are missing. Any failure becomes one SpecError that says where the files belong."""
    try:
        if all((cache / name).is_file() for name in kind.cache_files):
            arrays = globals()[kind.reader](cache)
        else:
            arrays = _keras_download(kind.keras_module)
    except SpecError:
        raise
    except Exception as error:  # network refused, hash mismatch, truncated or corrupt file...
        raise not_loadable(kind, error) from error
    _check_registered(kind, arrays)
    return arrays


def _keras_download(module: str | None) -> Arrays:
    if module is None:
        raise FileNotFoundError("no files and nothing to download them from")
    import keras  # Keras' own downloader and cache: the only TF import in data preparation

    (x_train, y_train), (x_test, y_test) = getattr(keras.datasets, module).load_data()
    return x_train, y_train.reshape(-1), x_test, y_test.reshape(-1)


def _check_registered(kind: DatasetKind, arrays: Arrays) -> None:
    x_train, y_train, x_test, y_test = arrays
    problems = check_shapes({k: a.shape for k, a in zip(NPZ_KEYS, arrays, strict=True)}, y_train)
    image = x_train.shape[1:] + ((1,) if x_train.ndim == 3 else ())
    if image != kind.input_shape:
        problems.append(f"expected images of shape {kind.input_shape}, found {image}")
    labels = np.concatenate([y_train, y_test])
    if labels.size and not 0 <= labels.min() <= labels.max() < kind.num_classes:
        problems.append(
            f"expected labels 0..{kind.num_classes - 1}, found {labels.min()}..{labels.max()}"
        )
    if problems:
        raise not_loadable(kind, ValueError("; ".join(problems)))


def read_digits(cache: Path) -> Arrays:
    """scikit-learn's bundled digits, split 75/25, stratified, with a fixed seed."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = digits.images.astype(np.uint8)  # 8x8, integer intensities 0..16
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=0.25, random_state=0, stratify=digits.target
    )
    return x_train, y_train, x_test, y_test


def read_mnist(cache: Path) -> Arrays:
    with np.load(cache / "mnist.npz", allow_pickle=False) as arrays:
        return tuple(arrays[key] for key in NPZ_KEYS)


def read_idx(path: Path) -> np.ndarray:
    """One gzipped IDX file of unsigned bytes (the MNIST family's format)."""
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    rank = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(rank))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header says {shape}, found {body.size} values")
    return body.reshape(shape)


def read_fashion_mnist(cache: Path) -> Arrays:
    folder = cache / "fashion-mnist"
    x_train, y_train, x_test, y_test = (read_idx(folder / name) for name in FASHION_FILES)
    return x_train, y_train, x_test, y_test


class _ArraysOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in PICKLE_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refused to load {module}.{name} from a CIFAR batch")


def read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with open(path, "rb") as handle:
        batch = _ArraysOnly(handle, encoding="bytes").load()
    data = np.asarray(batch[b"data"], dtype=np.uint8)
    images = data.reshape(len(data), 3, 32, 32).transpose(0, 2, 3, 1)
    return images, np.asarray(batch[b"labels"], dtype=np.int64)


def read_cifar10(cache: Path) -> Arrays:
    batches = [read_cifar_batch(cache / CIFAR_FOLDER / name) for name in CIFAR_FILES]
    x_train = np.concatenate([x for x, _ in batches[:-1]])
    y_train = np.concatenate([y for _, y in batches[:-1]])
    return x_train, y_train, *batches[-1]


def read_user_npz(path: str | Path) -> tuple[Arrays, float]:
    """The user's arrays and their peak intensity: 255 for 8-bit images, however dark."""
    try:
        with np.load(path, allow_pickle=False) as arrays:
            x_train, y_train, x_test, y_test = (arrays[key] for key in NPZ_KEYS)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as error:
        raise SpecError.one(
            str(path), None, f"not a readable .npz file ({error}); was it changed since planning?"
        ) from error
    peak = float(max(np.abs(x_train).max(initial=0), np.abs(x_test).max(initial=0)))
    if not np.isfinite(peak):  # checked at planning time too; the file may have changed since
        raise SpecError.one(str(path), ("data", "dataset", "npz"), "images hold NaN or infinity")
    if np.issubdtype(x_train.dtype, np.integer) and peak <= 255:
        peak = 255
    return (x_train, y_train, x_test, y_test), peak


def npz_info(path: str | Path, num_classes: int | None, file: str, where: tuple) -> DatasetInfo:
    """Shapes and class count of a user npz, checked before any job runs: its headers, its
    labels, and (for float images) that every pixel is a finite number."""
    path = Path(path)
    if not path.is_file():
        raise SpecError.one(file, where, f"expected an existing .npz file, received {str(path)!r}")
    try:
        with zipfile.ZipFile(path) as archive:
            headers = {name[:-4]: _npy_header(archive, name) for name in archive.namelist()}
        missing = [key for key in NPZ_KEYS if key not in headers]
        if missing:
            raise SpecError.one(
                file,
                where,
                f"{path}: expected arrays {', '.join(NPZ_KEYS)}; "
                f"missing {', '.join(missing)} (found {', '.join(sorted(headers)) or 'none'})",
            )
        shapes = {key: shape for key, (shape, _) in headers.items()}
        problems = check_dtypes({key: dtype for key, (_, dtype) in headers.items()})
        if problems:
            raise SpecError.one(file, where, f"{path}: " + "; ".join(problems))
        with np.load(path, allow_pickle=False) as arrays:
            labels = np.concatenate([arrays["y_train"].ravel(), arrays["y_test"].ravel()])
            problems = _non_finite_pixels(arrays, headers)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise SpecError.one(file, where, f"{path}: not a readable .npz file ({error})") from error
    problems += check_shapes(shapes, labels) if not problems else []
    classes = num_classes if num_classes is not None else int(labels.max(initial=0)) + 1
    if not problems and labels.size and labels.max() >= classes:
        problems.append(f"labels must be below num_classes {classes}, found {labels.max()}")
    if problems:
        raise SpecError.one(file, where, f"{path}: " + "; ".join(problems))
    image = shapes["x_train"][1:]
    input_shape = image + (1,) if len(image) == 2 else image
    return DatasetInfo(f"npz:{path}", tuple(input_shape), classes, shapes["x_train"][0])


def _npy_header(archive: zipfile.ZipFile, name: str) -> tuple[tuple[int, ...], np.dtype]:
    with archive.open(name) as handle:
        version = np.lib.format.read_magic(handle)
        fmt = np.lib.format
        read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
        shape, _, dtype = read(handle)
        return tuple(shape), dtype


def check_dtypes(dtypes: dict) -> list[str]:
    """Images must be numbers, labels integers: strings or objects would fail in a job."""
    problems = []
    for key in NPZ_KEYS:
        kinds = "iu" if key.startswith("y_") else "biuf"
        if dtypes[key].kind not in kinds:
            what = "integers" if key.startswith("y_") else "numbers"
            problems.append(f"{key} must hold {what}, has dtype {dtypes[key]}")
    return problems


def _non_finite_pixels(arrays, headers: dict) -> list[str]:
    problems = []
    for key in ("x_train", "x_test"):
        if headers[key][1].kind == "f":
            bad = np.count_nonzero(~np.isfinite(arrays[key]))
            if bad:
                problems.append(f"{key} has {bad} NaN or infinite pixel value(s)")
    return problems


def check_shapes(shapes: dict, labels) -> list[str]:
    """What is wrong with a dataset's arrays, in words (empty when nothing is)."""
    problems = []
    for split in ("train", "test"):
        x, y = shapes[f"x_{split}"], shapes[f"y_{split}"]
        if x[:1] == (0,):
            problems.append(f"x_{split} has no samples")
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

"""The datasets a spec can name: for each, its shape, classes, sizes, cache files and reader.

`data.dataset` in a spec is a registered name (`digits`, `mnist`, ...) or the user's own arrays,
`{"npz": path}`: `DataSource.of(value)` is the one place that tells them apart. What a dataset is
(`info`) is known without loading it, so specs are checked against their data at planning time.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from netspec.errors import SpecError
from netspec.fields import OPTIONAL, integer, string
from netspec.registry import Registry

Arrays = tuple  # x_train, y_train, x_test, y_test as numpy arrays


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    input_shape: tuple[int, ...]
    num_classes: int
    train_samples: int


@dataclass(frozen=True)
class DatasetKind:
    """A registered dataset. readers.`reader`(folder) parses its files from Keras' cache folder
    (`$KERAS_HOME/datasets`); `keras_module` names the `keras.datasets` loader that downloads
    them when they are missing (None: bundled data, nothing to download)."""

    name: str
    description: str
    input_shape: tuple[int, ...]
    num_classes: int
    train_samples: int
    test_samples: int
    pixel_max: int  # the raw intensity that scales to 1.0
    cache_files: tuple[str, ...]  # relative to the cache folder
    reader: str  # the name of its function in netspec.data.readers (imported only to read)
    keras_module: str | None = None

    @property
    def info(self) -> DatasetInfo:
        return DatasetInfo(self.name, self.input_shape, self.num_classes, self.train_samples)


DATASETS: Registry[DatasetKind] = Registry("dataset")

# The fields of the user's own dataset, {"npz": path}.
NPZ_FIELDS = {
    "npz": string("Path of the .npz file, relative to the spec that names it.", non_empty=True),
    "num_classes": integer("Number of classes; default: largest label + 1.", OPTIONAL, minimum=2),
}


def keras_cache() -> Path:
    """Keras' dataset cache: $KERAS_HOME/datasets, by default ~/.keras/datasets."""
    home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return Path(home) / "datasets"


@dataclass(frozen=True)
class DataSource:
    """What a spec's `data.dataset` names: a registered dataset or an npz file (never both)."""

    name: str | None = None
    npz: str | None = None
    num_classes: int | None = None

    @classmethod
    def of(cls, value: str | dict) -> DataSource:
        if isinstance(value, str):
            return cls(name=value)
        return cls(npz=value["npz"], num_classes=value.get("num_classes"))

    @property
    def kind(self) -> DatasetKind | None:
        return None if self.name is None else DATASETS[self.name]

    @property
    def key(self) -> str:
        """A file-name-safe name for the prepared data (outputs/data/KEY.npz)."""
        if self.name is not None:
            return self.name
        stem = re.sub(r"[^a-z0-9_-]+", "-", Path(self.npz).stem.lower()).strip("-")
        tag = hashlib.sha256(self.npz.encode()).hexdigest()[:8]
        return f"npz-{stem or 'data'}-{tag}"

    @property
    def files(self) -> list[str]:
        """The user's files this source reads (inputs of the data job)."""
        return [] if self.npz is None else [self.npz]


FASHION_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
# Where keras.datasets.cifar10 extracts its archive inside the cache (Keras 3).
CIFAR_FOLDER = "cifar-10-batches-py-target/cifar-10-batches-py"
CIFAR_FILES = (*(f"data_batch_{i}" for i in range(1, 6)), "test_batch")


def _register_builtins() -> None:
    DATASETS.register(
        DatasetKind(
            name="digits",
            description="scikit-learn's bundled 8x8 handwritten digits (1,797 images, no download).",
            input_shape=(8, 8, 1),
            num_classes=10,
            train_samples=1347,
            test_samples=450,
            pixel_max=16,
            cache_files=(),
            reader="read_digits",
        )
    )
    DATASETS.register(
        DatasetKind(
            name="mnist",
            description="MNIST handwritten digits, 28x28 (keras.datasets.mnist).",
            input_shape=(28, 28, 1),
            num_classes=10,
            train_samples=60000,
            test_samples=10000,
            pixel_max=255,
            cache_files=("mnist.npz",),
            reader="read_mnist",
            keras_module="mnist",
        )
    )
    DATASETS.register(
        DatasetKind(
            name="fashion_mnist",
            description="Fashion-MNIST clothing images, 28x28 (keras.datasets.fashion_mnist).",
            input_shape=(28, 28, 1),
            num_classes=10,
            train_samples=60000,
            test_samples=10000,
            pixel_max=255,
            cache_files=tuple(f"fashion-mnist/{name}" for name in FASHION_FILES),
            reader="read_fashion_mnist",
            keras_module="fashion_mnist",
        )
    )
    DATASETS.register(
        DatasetKind(
            name="cifar10",
            description="CIFAR-10 colour images, 32x32x3 (keras.datasets.cifar10).",
            input_shape=(32, 32, 3),
            num_classes=10,
            train_samples=50000,
            test_samples=10000,
            pixel_max=255,
            cache_files=tuple(f"{CIFAR_FOLDER}/{name}" for name in CIFAR_FILES),
            reader="read_cifar10",
            keras_module="cifar10",
        )
    )


_register_builtins()


def not_loadable(kind: DatasetKind, error: Exception) -> SpecError:
    """The one message for a dataset that could not be read or fetched: what failed, where its
    files belong, and the alternative."""
    paths = [keras_cache() / name for name in kind.cache_files]
    folder = os.path.commonpath(paths) if len(paths) > 1 else paths[0].parent if paths else ""
    names = ", ".join(os.path.relpath(path, folder) for path in paths) or "its files"
    return SpecError.one(
        kind.name,
        ("data", "dataset"),
        f"could not load dataset {kind.name!r} ({type(error).__name__}: {error}). "
        f"Put {names} in {folder} (KERAS_HOME moves the cache), "
        'or convert the data to {"npz": "path"} with x_train, y_train, x_test, y_test',
    )

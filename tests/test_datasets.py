"""Datasets: every registered one prepared from its cache files, the offline errors, user npz files."""

from __future__ import annotations

import gzip
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
from conftest import Hostile, valid_spec, write_spec

from netspec.data.kinds import DATASETS
from netspec.data.prepare import load_prepared, prepare
from netspec.errors import SpecError
from netspec.spec.compile import compile_spec


def test_digits_are_prepared_scaled_with_a_channel_axis(tmp_path):
    summary = prepare("digits", tmp_path / "digits.npz")
    assert summary["train"] + summary["test"] == 1797
    x_train, y_train, x_test, y_test = load_prepared(tmp_path / "digits.npz")
    assert x_train.shape == (1347, 8, 8, 1) and x_test.shape == (450, 8, 8, 1)
    assert x_train.dtype == np.float32 and x_train.min() == 0 and x_train.max() == 1
    assert sorted(set(y_train)) == list(range(10))
    assert DATASETS["digits"].info.input_shape == x_train.shape[1:]


def write_idx(path, array, magic):
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def fake_arrays(shape, train=30, test=10, seed=0):
    """Small uint8 images of `shape` and labels covering all ten classes."""
    rng = np.random.default_rng(seed)
    x_train = rng.integers(0, 256, (train, *shape), dtype=np.uint8)
    x_test = rng.integers(0, 256, (test, *shape), dtype=np.uint8)
    return x_train, np.arange(train) % 10, x_test, np.arange(test) % 10


def fake_mnist(cache):
    arrays = fake_arrays((28, 28))
    names = ("x_train", "y_train", "x_test", "y_test")
    np.savez(cache / "mnist.npz", **dict(zip(names, arrays, strict=True)))
    return arrays


def fake_fashion_mnist(cache):
    arrays = fake_arrays((28, 28), seed=1)
    folder = cache / "fashion-mnist"
    folder.mkdir()
    names = ("train-images", "train-labels", "t10k-images", "t10k-labels")
    for name, array in zip(names, arrays, strict=True):
        magic = 2051 if name.endswith("images") else 2049
        write_idx(folder / f"{name}-idx{array.ndim}-ubyte.gz", array, magic)
    return arrays


def fake_cifar10(cache):
    """The Python pickles of Keras' extracted archive: 5 training batches and a test batch,
    each {b"data": (n, 3072) uint8 in channel-major order, b"labels": list}."""
    x_train, y_train, x_test, y_test = fake_arrays((32, 32, 3), train=50, seed=2)
    folder = cache / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    batches = [(x_train[i * 10 : (i + 1) * 10], y_train[i * 10 : (i + 1) * 10]) for i in range(5)]
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name, (x, y) in zip(names, [*batches, (x_test, y_test)], strict=True):
        channel_major = x.transpose(0, 3, 1, 2).reshape(len(x), -1)
        with open(folder / name, "wb") as handle:
            pickle.dump({b"data": channel_major, b"labels": [int(v) for v in y]}, handle)
    return x_train, y_train, x_test, y_test


def digits_from_sklearn(cache):
    """Bundled with scikit-learn: nothing to fake; the expected split is sklearn's own."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.images, digits.target, test_size=0.25, random_state=0, stratify=digits.target
    )
    return x_train, y_train, x_test, y_test


# One cache writer per registered dataset: a dataset registered without one fails the test below.
CACHES = {
    "digits": digits_from_sklearn,
    "mnist": fake_mnist,
    "fashion_mnist": fake_fashion_mnist,
    "cifar10": fake_cifar10,
}


def test_every_registered_dataset_has_a_cache_writer_here():
    assert set(CACHES) == set(DATASETS)


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_registered_dataset_is_prepared_from_its_cache(name, tmp_path, monkeypatch):
    """The real reader of each dataset, on files laid out as Keras' cache lays them out."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    cache = tmp_path / "keras" / "datasets"
    cache.mkdir(parents=True)
    x_train, y_train, x_test, y_test = CACHES[name](cache)
    kind = DATASETS[name]
    assert all((cache / file).is_file() for file in kind.cache_files)
    summary = prepare(name, tmp_path / "prepared.npz")
    assert summary["train"] == len(x_train) and summary["test"] == len(x_test)
    loaded = load_prepared(tmp_path / "prepared.npz")
    assert loaded[0].shape == (len(x_train), *kind.input_shape)
    assert loaded[2].shape == (len(x_test), *kind.input_shape)
    expected = np.asarray(x_train, dtype=np.float32).reshape(loaded[0].shape) / kind.pixel_max
    np.testing.assert_allclose(loaded[0], expected, rtol=1e-6)
    np.testing.assert_array_equal(loaded[1], y_train)
    np.testing.assert_array_equal(loaded[3], y_test)
    assert loaded[1].max() < kind.num_classes


def test_a_corrupt_cache_file_is_a_clear_error_naming_where_it_belongs(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    cache = tmp_path / "keras" / "datasets"
    cache.mkdir(parents=True)
    (cache / "mnist.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(SpecError) as caught:
        prepare("mnist", tmp_path / "m.npz")
    message = str(caught.value)
    assert message.startswith("mnist: $.data.dataset: could not load dataset 'mnist'")
    assert f"Put mnist.npz in {cache} " in message and '{"npz": "path"}' in message
    assert not (tmp_path / "m.npz").exists()


def test_a_cache_with_the_wrong_image_shape_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    cache = tmp_path / "keras" / "datasets"
    cache.mkdir(parents=True)
    x_train, y_train, x_test, y_test = fake_arrays((32, 32))
    np.savez(cache / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    with pytest.raises(
        SpecError, match=r"expected images of shape \(28, 28, 1\), found \(32, 32, 1\)"
    ):
        prepare("mnist", tmp_path / "m.npz")


def test_a_cifar_batch_naming_other_code_is_refused_without_running_it(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    cache = tmp_path / "keras" / "datasets"
    cache.mkdir(parents=True)
    fake_cifar10(cache)
    marker = tmp_path / "ran"
    hostile = cache / "cifar-10-batches-py-target" / "cifar-10-batches-py" / "test_batch"
    hostile.write_bytes(pickle.dumps(Hostile(str(marker))))
    with pytest.raises(SpecError, match="refused to load posix.system"):
        prepare("cifar10", tmp_path / "c.npz")
    assert not marker.exists()


def keras_prepare(home, dataset, target):
    """Run prepare() in a fresh process, as the data job does."""
    code = (
        "import sys; from netspec.data.prepare import prepare; "
        "print(prepare(sys.argv[1], sys.argv[2]))"
    )
    env = {**os.environ, "KERAS_HOME": str(home), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-c", code, dataset, str(target)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.mark.slow
def test_a_missing_cache_offline_is_a_clear_error(tmp_path):
    """No cache file: Keras' own loader tries to download, fails offline, and the user reads
    what failed and where the file belongs."""
    (tmp_path / "keras").mkdir()
    result = keras_prepare(tmp_path / "keras", "mnist", tmp_path / "m.npz")
    assert result.returncode != 0
    assert "could not load dataset 'mnist'" in result.stderr
    assert f"Put mnist.npz in {tmp_path / 'keras' / 'datasets'} " in result.stderr
    assert '{"npz": "path"}' in result.stderr
    assert not (tmp_path / "m.npz").exists()


def test_mnist_format_file_runs_through_the_npz_reader(tmp_path, monkeypatch):
    """mnist.npz's own layout (x_train, y_train, x_test, y_test) is netspec's npz format."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(1)
    np.savez(
        tmp_path / "mnist.npz",
        x_train=rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        y_train=np.arange(20) % 10,
        x_test=rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        y_test=np.arange(5),
    )
    spec = write_spec(
        tmp_path,
        "m.json",
        valid_spec(data={"dataset": {"npz": "mnist.npz"}}, model={"template": "convnet"}),
    )
    experiment = compile_spec(spec)
    assert experiment.dataset.input_shape == (28, 28, 1) and experiment.dataset.num_classes == 10
    prepare(experiment.spec["data"]["dataset"], tmp_path / "p.npz")
    x_train, y_train, _, _ = load_prepared(tmp_path / "p.npz")
    assert x_train.shape == (20, 28, 28, 1) and x_train.max() <= 1.0


def test_float_npz_is_scaled_to_unit_range(tmp_path):
    np.savez(
        tmp_path / "f.npz",
        x_train=np.full((4, 3, 3, 2), 50.0),
        y_train=np.arange(4),
        x_test=np.full((2, 3, 3, 2), 100.0),
        y_test=np.arange(2),
    )
    prepare({"npz": str(tmp_path / "f.npz")}, tmp_path / "p.npz")
    x_train, _, x_test, _ = load_prepared(tmp_path / "p.npz")
    assert x_train.max() == pytest.approx(0.5) and x_test.max() == pytest.approx(1.0)

"""Datasets: the bundled digits, Keras' loaders on a faked offline cache, user npz files."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import valid_spec, write_spec

from netspec.datasets import DATASETS, load_prepared, prepare
from netspec.spec import compile_spec


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


def keras_prepare(home, dataset, target):
    """Run prepare() in a fresh process: Keras reads KERAS_HOME when it is imported."""
    code = (
        "import sys; from netspec.datasets import prepare; print(prepare(sys.argv[1], sys.argv[2]))"
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
def test_fashion_mnist_real_loader_reads_a_faked_cache(tmp_path):
    cache = tmp_path / "keras" / "datasets" / "fashion-mnist"
    cache.mkdir(parents=True)
    rng = np.random.default_rng(0)
    x_train, x_test = rng.integers(0, 256, (30, 28, 28)), rng.integers(0, 256, (10, 28, 28))
    y_train, y_test = np.arange(30) % 10, np.arange(10)
    write_idx(cache / "train-images-idx3-ubyte.gz", x_train, 2051)
    write_idx(cache / "train-labels-idx1-ubyte.gz", y_train, 2049)
    write_idx(cache / "t10k-images-idx3-ubyte.gz", x_test, 2051)
    write_idx(cache / "t10k-labels-idx1-ubyte.gz", y_test, 2049)
    result = keras_prepare(tmp_path / "keras", "fashion_mnist", tmp_path / "f.npz")
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = load_prepared(tmp_path / "f.npz")
    assert loaded[0].shape == (30, 28, 28, 1) and loaded[2].shape == (10, 28, 28, 1)
    np.testing.assert_allclose(loaded[0][..., 0], x_train / 255, rtol=1e-6)
    np.testing.assert_array_equal(loaded[1], y_train)


@pytest.mark.slow
def test_mnist_offline_with_a_bad_cache_is_a_clear_error(tmp_path):
    cache = tmp_path / "keras" / "datasets"
    cache.mkdir(parents=True)
    np.savez(cache / "mnist.npz", x_train=np.zeros((2, 28, 28)))  # fails Keras' hash check
    result = keras_prepare(tmp_path / "keras", "mnist", tmp_path / "m.npz")
    assert result.returncode != 0
    assert "keras.datasets.mnist.load_data() failed" in result.stderr
    assert "mnist.npz" in result.stderr and '{"npz": "path"}' in result.stderr
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

"""The data a training step sees: the seeded split, and the tf.data pipeline that feeds Keras."""

from __future__ import annotations

import numpy as np

from netspec.spec.checks import validation_count


def split(arrays, data: dict, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Training, validation and test sets per the spec's `data` section, reproducibly."""
    x_train, y_train, x_test, y_test = arrays
    rng = np.random.default_rng(seed)
    if data["max_train_samples"] and data["max_train_samples"] < len(x_train):
        keep = np.sort(rng.permutation(len(x_train))[: data["max_train_samples"]])
        x_train, y_train = x_train[keep], y_train[keep]
    if data["max_test_samples"] and data["max_test_samples"] < len(x_test):
        keep = np.sort(rng.permutation(len(x_test))[: data["max_test_samples"]])
        x_test, y_test = x_test[keep], y_test[keep]
    if data["validation"] == "test":
        return {
            "train": (x_train, y_train),
            "validation": (x_test, y_test),
            "test": (x_test, y_test),
        }
    order = rng.permutation(len(x_train))
    held = order[: validation_count(len(x_train), data["validation"])]
    kept = np.sort(order[len(held) :])
    return {
        "train": (x_train[kept], y_train[kept]),
        "validation": (x_train[held], y_train[held]),
        "test": (x_test, y_test),
    }


PREFETCH_BATCHES = 2


def pipeline(pair: tuple[np.ndarray, np.ndarray], batch: int, shuffle_seed: int | None):
    """Batches as a cached, prefetched tf.data pipeline, reshuffled each epoch when seeded.

    Faster per epoch than handing Keras the numpy arrays (bench/README.md, figure 6), at the
    price of more copies of the training set in memory (counted in spec/resources.py).

    tf.data's autotuner is off and the prefetch buffer fixed: nothing in this pipeline is
    parallel, so the buffer size was all it could tune, and on a job with one CPU its waits left
    that CPU idle once per epoch, so two jobs on two cores ran slower than one alone
    (bench/README.md, figures 4 and 6)."""
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices(pair).cache()
    if shuffle_seed is not None:
        data = data.shuffle(len(pair[1]), seed=shuffle_seed, reshuffle_each_iteration=True)
    options = tf.data.Options()
    options.autotune.enabled = False
    return data.batch(batch).prefetch(PREFETCH_BATCHES).with_options(options)

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


def _options():
    # tf.data's autotuner is off and the prefetch buffer fixed: nothing in these pipelines is
    # parallel, so the buffer size was all it could tune, and on a job with one CPU its waits
    # left that CPU idle once per epoch, so two jobs on two cores ran slower than one alone
    # (bench/README.md, figures 4 and 6).
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return options


def batches(pair: tuple[np.ndarray, np.ndarray], batch: int):
    """One pass in order (validation, test), cached and prefetched for repeated passes."""
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices(pair).cache().batch(batch)
    return data.prefetch(PREFETCH_BATCHES).with_options(_options())


def training_batches(
    pair: tuple[np.ndarray, np.ndarray], batch: int, seed: int | None, epochs: range
):
    """The training batches of `epochs`, one epoch after the other, as one tf.data pipeline.

    Epoch e's order is a function of (seed, e) alone, drawn with numpy, not a random stream
    consumed by the epochs before it: a run resumed at epoch e sees exactly the batches an
    uninterrupted run sees. Feed it to `fit` with steps_per_epoch=steps(len(pair[1]), batch).
    Each batch is gathered from the arrays in one step, and prefetched, which is faster per
    epoch than handing Keras the numpy arrays (bench/README.md, figure 6).
    """
    import tensorflow as tf

    x, y = (tf.convert_to_tensor(array) for array in pair)
    count = len(pair[1])
    orders = np.array([epoch_order(count, seed, epoch) for epoch in epochs], np.int64)
    orders = orders.reshape(len(epochs), count)  # also when no epoch is left to run

    def epoch(order):
        return tf.data.Dataset.from_tensor_slices(order).batch(batch)

    indices = tf.data.Dataset.from_tensor_slices(orders).flat_map(epoch)
    data = indices.map(lambda index: (tf.gather(x, index), tf.gather(y, index)))
    return data.prefetch(PREFETCH_BATCHES).with_options(_options())


def epoch_order(samples: int, seed: int | None, epoch: int) -> np.ndarray:
    """The order of the training samples in one epoch: shuffled by (seed, epoch), or as is."""
    if seed is None:
        return np.arange(samples)
    return np.random.default_rng([seed, epoch]).permutation(samples)


def steps(samples: int, batch: int) -> int:
    """Batches per epoch (the last one may be short)."""
    return -(-samples // batch)

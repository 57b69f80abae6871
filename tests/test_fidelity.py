"""Fidelity: what netspec's training feeds and computes is what plain Keras would, batch for batch
and weight for weight (docs/design.md, "Where training departs from the seed's model.fit")."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import valid_spec, write_spec

from netspec.data.prepare import load_prepared, prepare, write_npz
from netspec.spec.compile import compile_run
from netspec.train import keras_build, training
from netspec.train.pipeline import epoch_order, split

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

SAMPLES, BATCH, EPOCHS, SEED = 200, 32, 3, 7


@keras.saving.register_keras_serializable(package="netspec_tests")
class Recorder(keras.layers.Layer):
    """The identity, but it notes pixel (0, 0, 0) of every training batch it is fed: the sample's
    index in the data below. It runs inside Keras' compiled train step, so it sees exactly what
    `fit` consumes (not what the pipeline was asked for, nor what it prefetched)."""

    seen: list[np.ndarray] = []

    def call(self, inputs, training=None):
        if training:
            tf.py_function(
                lambda v: Recorder.seen.append(v.numpy().astype(int)), [inputs[:, 0, 0, 0]], []
            )
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


class Interrupted(Exception):
    """Stands for a kill after an epoch's state was saved (the next epoch never starts)."""


def indexed_data(path):
    """A prepared dataset whose training image i carries i in its first pixel."""
    rng = np.random.default_rng(0)
    x = rng.random((SAMPLES, 8, 8, 1), dtype=np.float32)
    x[:, 0, 0, 0] = np.arange(SAMPLES)
    y = rng.integers(0, 10, SAMPLES)
    arrays = {"x_train": x, "y_train": y, "x_test": x[:40], "y_test": y[:40]}
    write_npz(path, {**arrays, "scale": np.float32(1.0)})
    return path


def outputs(folder):
    return {key: folder / name for key, name in training.OUTPUTS.items()}


@pytest.fixture
def recorded(monkeypatch):
    """netspec's own model with a Recorder in front of its first layer."""
    built = keras_build.build_layers

    def recording(layers, precision="float32"):
        return [Recorder(name="recorder"), *built(layers, precision)]

    monkeypatch.setattr(keras_build, "build_layers", recording)
    Recorder.seen = []
    return Recorder.seen


def interrupt_after(monkeypatch, epochs_done: int):
    original = training.first_batch_callback

    def interrupting(keras, timeline, clock):
        class Stop(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                if epoch == epochs_done:
                    raise Interrupted

        return Stop()

    monkeypatch.setattr(training, "first_batch_callback", interrupting)
    return original


def expected_batches(epochs) -> list[list[int]]:
    batches = []
    for epoch in epochs:
        order = epoch_order(SAMPLES, SEED, epoch)
        batches += [order[i : i + BATCH].tolist() for i in range(0, SAMPLES, BATCH)]
    return batches


def indexed_spec(tmp_path, **training_fields):
    return write_spec(
        tmp_path,
        "indexed.json",
        valid_spec(
            data={"dataset": "digits", "validation": "test"},
            model={"template": "mlp", "units": 4},
            training={"epochs": EPOCHS, "batch_size": BATCH, "seed": SEED, **training_fields},
        ),
    )


def test_fit_consumes_the_batches_of_epoch_order_epoch_after_epoch(tmp_path, recorded):
    data = indexed_data(tmp_path / "indexed.npz")
    experiment = compile_run(indexed_spec(tmp_path))
    training.train(experiment, data, outputs(tmp_path / "out"), threads=1)
    assert [batch.tolist() for batch in recorded] == expected_batches(range(EPOCHS))
    assert len(recorded) == EPOCHS * -(-SAMPLES // BATCH), "a short last batch, none dropped"
    epochs = np.concatenate(recorded).reshape(EPOCHS, SAMPLES)
    assert all(sorted(order) == list(range(SAMPLES)) for order in epochs.tolist())
    assert len({order.tobytes() for order in epochs}) == EPOCHS, "a new order every epoch"


def test_plain_keras_fit_on_arrays_repeats_one_order_every_epoch_once_seeded():
    """What netspec is compared with: Keras 3's model.fit(x, y, shuffle=True) after
    keras.utils.set_random_seed feeds its first epoch's order again in every epoch (the
    shuffle is a seeded op in a tf.data map, restarted with each epoch's iterator), where
    netspec draws a new order per epoch. If Keras changes this, docs/design.md must too."""
    Recorder.seen = []
    x = np.zeros((SAMPLES, 8, 8, 1), np.float32)
    x[:, 0, 0, 0] = np.arange(SAMPLES)
    keras.utils.set_random_seed(SEED)
    model = keras.Sequential(
        [keras.Input((8, 8, 1)), Recorder(), keras.layers.Flatten(), keras.layers.Dense(10)]
    )
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(True))
    model.fit(x, np.zeros(SAMPLES, int), batch_size=BATCH, epochs=EPOCHS, verbose=0)
    epochs = np.concatenate(Recorder.seen).reshape(EPOCHS, SAMPLES)
    assert sorted(epochs[0].tolist()) == list(range(SAMPLES)), "shuffled: a permutation"
    assert epochs[0].tolist() != list(range(SAMPLES))
    assert all(np.array_equal(epochs[0], order) for order in epochs), "the same order again"


@pytest.mark.parametrize("epochs_done", [1, 2])
def test_a_resumed_run_consumes_the_batches_an_uninterrupted_one_does(
    tmp_path, recorded, monkeypatch, epochs_done
):
    data = indexed_data(tmp_path / "indexed.npz")
    experiment = compile_run(indexed_spec(tmp_path))
    out = outputs(tmp_path / "out")
    original = interrupt_after(monkeypatch, epochs_done)
    with pytest.raises(Interrupted):
        training.train(experiment, data, out, threads=1)
    assert [b.tolist() for b in recorded] == expected_batches(range(epochs_done))
    monkeypatch.setattr(training, "first_batch_callback", original)
    del recorded[:]
    training.train(experiment, data, out, threads=1)
    assert json.loads(out["run"].read_text())["resumed_from_epoch"] == epochs_done
    assert [b.tolist() for b in recorded] == expected_batches(range(epochs_done, EPOCHS))


def seed_network(units: int):
    """The seed notebook's build_convolutional_network(1, units, "adam", 0.01, dropOut=0.1,
    batchNormalization=True) in plain Keras ('same' padding for 8x8 digits)."""
    from keras import layers

    blocks = []
    for _ in range(2):
        blocks += [
            layers.Conv2D(units, (3, 3), activation="relu", padding="same"),
            layers.MaxPooling2D((2, 2)),
            layers.Dropout(0.1),
            layers.BatchNormalization(),
        ]
    model = keras.Sequential(
        [keras.Input((8, 8, 1)), *blocks, layers.Flatten(), layers.Dense(10, activation="softmax")]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def test_a_deterministic_netspec_run_is_a_plain_keras_loop_fed_the_same_batches(tmp_path):
    """Batch norm, dropout, Adam: netspec's model.keras holds, weight for weight, what
    train_on_batch over the same batches gives, in the selected epoch."""
    data = tmp_path / "digits.npz"
    prepare("digits", data)
    spec = write_spec(
        tmp_path,
        "seedlike.json",
        valid_spec(
            data={"dataset": "digits", "max_train_samples": 300, "validation": 0.2},
            model={
                "template": "convnet",
                "hidden_layers": 1,
                "units": 8,
                "padding": "same",
                "dropout": 0.1,
                "batch_norm": True,
            },
            training={"epochs": EPOCHS, "batch_size": BATCH, "seed": SEED, "deterministic": True},
        ),
    )
    experiment = compile_run(spec)
    out = outputs(tmp_path / "out")
    training.train(experiment, data, out, threads=1)
    selected = json.loads(out["history"].read_text())["selected_epoch"]
    netspec_weights = keras.models.load_model(out["model"]).get_weights()

    keras.backend.clear_session()
    keras.utils.set_random_seed(SEED)
    model = seed_network(8)
    x, y = split(load_prepared(data), experiment.spec["data"], SEED)["train"]
    after = []
    for epoch in range(EPOCHS):
        order = epoch_order(len(y), SEED, epoch)
        for start in range(0, len(y), BATCH):
            model.train_on_batch(x[order[start : start + BATCH]], y[order[start : start + BATCH]])
        after.append(model.get_weights())
    plain = after[selected - 1]
    assert len(plain) == len(netspec_weights)
    for ours, theirs in zip(netspec_weights, plain, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_sparse_and_one_hot_losses_agree():
    """netspec's integer labels with sparse cross-entropy are the seed's one-hot labels with
    categorical cross-entropy: the same loss and the same gradient."""
    rng = np.random.default_rng(1)
    logits = tf.Variable(rng.normal(size=(64, 10)).astype(np.float32))
    labels = rng.integers(0, 10, 64)
    results = []
    for loss, target in (
        (keras.losses.SparseCategoricalCrossentropy(), labels),
        (keras.losses.CategoricalCrossentropy(), keras.utils.to_categorical(labels, 10)),
    ):
        with tf.GradientTape() as tape:
            value = loss(target, tf.nn.softmax(logits))
        results.append((float(value), tape.gradient(value, logits).numpy()))
    (sparse, sparse_grad), (dense, dense_grad) = results
    assert sparse == pytest.approx(dense, rel=1e-6)
    np.testing.assert_allclose(sparse_grad, dense_grad, rtol=1e-5, atol=1e-7)

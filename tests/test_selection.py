"""Honest evaluation: the epoch is selected on a validation set held out of the training set,
model.keras holds that epoch's weights, and the test set scores them once."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import valid_spec, write_spec

from netspec.data.prepare import load_prepared, prepare
from netspec.spec.compile import compile_spec
from netspec.train.pipeline import split


def test_a_held_out_validation_set_comes_from_training_and_never_from_test(tmp_path):
    prepare("digits", tmp_path / "d.npz")
    arrays = load_prepared(tmp_path / "d.npz")
    data = {"validation": 0.25, "max_train_samples": None, "max_test_samples": None}
    sets = split(arrays, data, seed=5)
    train = {row.tobytes() for row in arrays[0]}
    test = {row.tobytes() for row in arrays[2]}
    validation = [row.tobytes() for row in sets["validation"][0]]
    assert len(validation) == round(0.25 * 1347) and all(v in train for v in validation)
    assert not set(validation) & {row.tobytes() for row in sets["train"][0]}
    assert sets["test"][0] is arrays[2] and not set(validation) & (test - train)
    seeded = split(arrays, data, seed=6)["validation"][0]
    assert not np.array_equal(seeded, sets["validation"][0]), "the seed draws the split"
    on_test = split(arrays, {**data, "validation": "test"}, seed=5)
    assert on_test["validation"][0] is on_test["test"][0], "only when the spec says so"


@pytest.mark.slow
@pytest.mark.parametrize("select", ["val_accuracy", "val_loss"])
def test_the_selected_epoch_is_the_best_on_validation_and_the_saved_model_is_it(tmp_path, select):
    keras = pytest.importorskip("keras")
    spec = write_spec(
        tmp_path,
        "honest.json",
        valid_spec(
            data={"dataset": "digits", "max_train_samples": 400, "validation": 0.25},
            model={"template": "convnet", "units": 8, "padding": "same", "dropout": 0.3},
            optimizer={"name": "adam", "learning_rate": 0.02},
            training={"epochs": 8, "batch_size": 32, "seed": 1, "select": select},
        ),
    )
    data, out = tmp_path / "digits.npz", tmp_path / "out"
    prepare("digits", data)
    command = [sys.executable, "-m", "netspec.train", str(spec), str(data), str(out), "1"]
    subprocess.run(command, capture_output=True, text=True, check=True, timeout=300)
    history = json.loads((out / "history.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    run = json.loads((out / "run.json").read_text())
    scores = history["metrics"][select]
    best = (max if select == "val_accuracy" else min)(scores)
    selected = scores.index(best) + 1  # the first best epoch
    assert (
        history["selected_epoch"] == metrics["selected_epoch"] == run["selected_epoch"] == selected
    )
    assert metrics["selected_by"] == select
    assert metrics["selected_val_accuracy"] == history["metrics"]["val_accuracy"][selected - 1]

    experiment = compile_spec(spec)
    sets = split(load_prepared(data), experiment.spec["data"], experiment.spec["training"]["seed"])
    model = keras.models.load_model(out / "model.keras")
    x_test, y_test = sets["test"]
    test_accuracy = float((model.predict(x_test, verbose=0).argmax(1) == y_test).mean())
    assert test_accuracy == metrics["test_accuracy"]
    x_val, y_val = sets["validation"]
    val_accuracy = float((model.predict(x_val, verbose=0).argmax(1) == y_val).mean())
    assert val_accuracy == pytest.approx(history["metrics"]["val_accuracy"][selected - 1], abs=1e-6)

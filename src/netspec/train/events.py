"""TensorBoard event files for one run: its metrics per epoch (train and validation) and its
hyperparameters (the HParams plugin), so `tensorboard --logdir outputs` compares every run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from netspec.spec.diff import flatten

EVENTS_DIR = "tensorboard"  # inside the run's output folder


def hyperparameters(spec: dict) -> dict:
    """The run's spec as HParams values: one per field (dotted path), prose left out."""
    found = {}
    for name, value in flatten(spec).items():
        if name == "description" or name.startswith("resources."):
            continue
        if value is None or isinstance(value, list | dict):
            value = json.dumps(value)
        found[name] = value
    return found


def events_callback(keras, folder: Path, experiment, fresh: bool):
    """A callback that writes each epoch's metrics: `epoch_accuracy` and `epoch_loss` in
    `train/` and `validation/` (Keras' own TensorBoard layout), the hyperparameters once.
    `fresh`: the run starts over, so earlier event files go; a resumed run adds to them."""
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    root = Path(folder) / EVENTS_DIR
    if fresh:
        shutil.rmtree(root, ignore_errors=True)
        session = tf.summary.create_file_writer(str(root))
        with session.as_default():
            hp.hparams(hyperparameters(experiment.spec), trial_id=experiment.id)
        session.flush()
    writers = {
        group: tf.summary.create_file_writer(str(root / group)) for group in ("train", "validation")
    }

    class Events(keras.callbacks.Callback):
        """Epoch-level only: a per-batch hook would make Keras sync every step."""

        def on_epoch_end(self, epoch, logs=None):
            for key, value in (logs or {}).items():
                group = "validation" if key.startswith("val_") else "train"
                with writers[group].as_default(step=epoch + 1):
                    tf.summary.scalar(f"epoch_{key.removeprefix('val_')}", float(value))
            for writer in writers.values():  # the job ends with os._exit: nothing waits
                writer.flush()

    return Events()

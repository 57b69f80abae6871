"""Figure 1: per-epoch time of a netspec-compiled model, trained with netspec's callbacks (epoch
log, resumable state saved every epoch, NaN guard, TensorBoard events), versus the seed notebook's
build_convolutional_network written by hand in plain Keras: batch norm + dropout 0.1, 1 hidden
layer of 100 units, Adam 0.01, batch 128, on the same synthetic 28x28x1 data, validated on a test
set as the seed did. Epochs alternate between the two in one process (order swapped each round);
the figure is the median of the per-round ratios.

Run: python bench/training_overhead.py [--samples 20000] [--rounds 5] [--threads 2]
Goal: netspec / hand-written <= 1.02.

With --compare events (figure T), the same model and callbacks with and without the TensorBoard
events callback instead: `--compare events --samples 8192 --rounds 6`, goal <= 1.01.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from _util import SEED_SPEC, median, report

from netspec.spec.compile import compile_spec
from netspec.train.callbacks import epoch_selection, progress_callback
from netspec.train.events import events_callback
from netspec.train.training import configure_tensorflow, first_batch_callback

SPEC = SEED_SPEC


def hand_written(keras):
    """The seed's build_convolutional_network(1, 100, 'adam', dropOut=0.1, batchNormalization=True)."""
    from keras import layers, regularizers

    def block():
        return [
            layers.Conv2D(
                100,
                (3, 3),
                activation="relu",
                kernel_regularizer=regularizers.l2(0),
                bias_regularizer=regularizers.l2(0),
            ),
            layers.MaxPooling2D((2, 2)),
            layers.Dropout(0.1),
            layers.BatchNormalization(),
        ]

    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            *block(),
            *block(),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
    )
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--compare",
        choices=("hand", "events"),
        default="hand",
        help="hand: netspec against hand-written Keras (figure 1); events: netspec with "
        "TensorBoard events against without (figure T)",
    )
    args = parser.parse_args()
    keras = configure_tensorflow(args.threads, 0, False)
    from netspec.train.keras_build import build

    rng = np.random.default_rng(0)
    x = rng.random((args.samples, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, args.samples)
    x_val, y_val = x[: args.samples // 6], y[: args.samples // 6]
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "seed.json").write_text(json.dumps(SPEC))
        experiment = compile_spec(folder / "seed.json")
        selection = epoch_selection(keras, "val_accuracy", None)
        keep = {"selection": selection}
        # exactly the callbacks netspec.train.training.train uses
        epochs = 2 * args.rounds
        netspec = [
            selection,
            progress_callback(keras, folder, experiment.digest, [], epochs, keep),
            events_callback(keras, folder, experiment, fresh=True),
            first_batch_callback(keras, {}, time.perf_counter()),
        ]
        if args.compare == "hand":
            names, goal = ("netspec", "hand-written"), 1.02
            models = {"netspec": build(experiment), "hand-written": hand_written(keras)}
            callbacks = {"netspec": netspec, "hand-written": []}
        else:  # one model, its epochs alternating between the two callback lists
            names, goal = ("with events", "without"), 1.01
            model = build(experiment)
            models = dict.fromkeys(names, model)
            callbacks = {"with events": netspec, "without": [netspec[0], netspec[1], netspec[3]]}
        for model in models.values():  # trace before timing
            model.fit(x[:256], y[:256], batch_size=128, epochs=1, verbose=0)
        times = {name: [] for name in names}
        for round_ in range(args.rounds):
            for name in names if round_ % 2 == 0 else names[::-1]:
                start = time.perf_counter()
                models[name].fit(
                    x,
                    y,
                    batch_size=128,
                    epochs=1,
                    verbose=0,
                    validation_data=(x_val, y_val),
                    callbacks=callbacks[name],
                )
                times[name].append(time.perf_counter() - start)
    first, second = names
    ratios = [a / b for a, b in zip(times[first], times[second], strict=True)]
    ratio = median(ratios)
    report(
        [
            f"{args.samples} samples, batch 128, {args.threads} threads, {args.rounds} epochs each",
            *(
                f"{name} epoch: median {median(times[name]):.2f} s "
                f"({', '.join(f'{t:.2f}' for t in times[name])})"
                for name in names
            ),
            f"{first} / {second}: median ratio {ratio:.3f} (per round: "
            f"{', '.join(f'{r:.3f}' for r in ratios)}); goal <= {goal}: "
            f"{'met' if ratio <= goal else 'NOT met'}",
        ]
    )


if __name__ == "__main__":
    main()

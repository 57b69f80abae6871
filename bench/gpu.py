"""Figure G: the seed CNN, built by netspec from its spec, on whatever accelerator Keras finds:
seconds per epoch on Fashion-MNIST-sized data (60,000 synthetic 28x28x1 images) in float32,
mixed_bfloat16 and mixed_float16, at the seed's batch 128 and at 1,024, and with XLA
(`jit_compile`) on and off where the backend has the choice. Each setting trains 2 epochs; the
second (after the trace and compilation) is the figure.

Runs as is on a lent GPU machine: `python bench/gpu.py`. KERAS_BACKEND chooses the backend
(tensorflow by default; `jax` where TensorFlow is not installed, as on the lent machines, whose
image has JAX with CUDA). Only the model and its training step run on the backend: netspec's
compiler, the layer list and the precision policies are the ones a study uses.

Run: python bench/gpu.py [--samples 60000] [--batches 128 1024]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from _util import SEED_SPEC, report

PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


def device() -> str:
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return f"keras {keras.__version__}, jax {jax.__version__}: {jax.devices()}"
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        return f"keras {keras.__version__}, tensorflow {tf.__version__}: {gpus or 'no GPU'}"
    return f"keras {keras.__version__}, {backend}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--batches", type=int, nargs="+", default=[128, 1024])
    args = parser.parse_args()
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    from netspec.spec.compile import compile_spec
    from netspec.train.keras_build import build

    rng = np.random.default_rng(0)
    x = rng.random((args.samples, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, args.samples)
    lines = [device()]
    jit_choices = (False, True) if keras.backend.backend() == "tensorflow" else (True,)
    with tempfile.TemporaryDirectory() as folder:
        for precision in PRECISIONS:
            for jit in jit_choices:
                spec = json.loads(json.dumps(SEED_SPEC))
                spec["training"] = {"precision": precision, "jit_compile": jit}
                path = Path(folder) / f"{precision}-jit{int(jit)}.json"
                path.write_text(json.dumps(spec))
                experiment = compile_spec(path)
                for batch in args.batches:
                    keras.utils.set_random_seed(0)
                    model = build(experiment)
                    times = []
                    for _ in range(2):
                        start = time.perf_counter()
                        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
                        times.append(time.perf_counter() - start)
                    rate = args.samples / times[1]
                    lines.append(
                        f"{precision:<15} jit {str(jit):<5} batch {batch:>5}: epoch {times[1]:.2f} s "
                        f"({rate:,.0f} images/s; first epoch {times[0]:.2f} s)"
                    )
                    print(lines[-1], flush=True)
                    keras.backend.clear_session()
    report(lines)


if __name__ == "__main__":
    main()

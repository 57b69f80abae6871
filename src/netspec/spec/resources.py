"""What a training job asks of the scheduler: the spec's `resources`, else the config's, with
memory estimated from the model and data when neither gives it."""

from __future__ import annotations

import math

from netspec.spec.experiment import Experiment

RUNTIME_MB = 1024  # what TensorFlow and Keras occupy once imported, with headroom


def estimate_mem_mb(experiment: Experiment) -> int:
    """Peak resident memory of a training job, in MB, rounded up to 256 MB.

    float32 data (the arrays, plus the tf.data pipeline's constant, cache and shuffle buffer:
    four copies of the training set, two of the test set), weights with gradients and two
    optimizer slots, and activations of one batch kept for backpropagation (x3 for gradients
    and workspace), on top of the runtime's own footprint.
    """
    info, data = experiment.dataset, experiment.spec["data"]
    pixels = math.prod(info.input_shape)
    train = min(info.train_samples, data["max_train_samples"] or info.train_samples)
    test = info.train_samples // 3 + 1  # no test-set size in the registry: a generous guess
    data_bytes = 4 * pixels * (4 * train + 2 * test)
    weight_bytes = 4 * 4 * experiment.summary.params
    batch = experiment.spec["training"]["batch_size"]
    activations = sum(math.prod(layer.output_shape) for layer in experiment.summary.layers)
    activation_bytes = 3 * 4 * batch * activations
    total = RUNTIME_MB + (data_bytes + weight_bytes + activation_bytes) / 2**20
    return int(math.ceil(total / 256) * 256)


def training_flops(experiment: Experiment) -> float:
    """An upper bound on the FLOPs one run's training costs: a backward pass costs about twice a
    forward one, over every training sample of every epoch (early stopping may cut it short)."""
    info, data = experiment.dataset, experiment.spec["data"]
    samples = min(info.train_samples, data["max_train_samples"] or info.train_samples)
    if data["validation"] != "test":
        samples = int(samples * (1 - data["validation"]))
    return 3.0 * experiment.summary.flops * samples * experiment.spec["training"]["epochs"]


def job_resources(experiment: Experiment, defaults: dict) -> dict:
    """threads, mem_mb, runtime (minutes) and gpu for the experiment's training job."""
    own = experiment.spec.get("resources", {})
    merged = {
        key: own.get(key, defaults.get(key)) for key in ("threads", "mem_mb", "runtime", "gpu")
    }
    if merged["mem_mb"] is None:
        merged["mem_mb"] = estimate_mem_mb(experiment)
    return merged


# The Snakemake group of training jobs that may share a cluster allocation (profiles/slurm packs
# them with `group-components`, and limits each group to one at a time with the local-scoped
# resource of the same name, so Snakemake sizes a group as its runs one after another).
PACK_GROUP = "pack"


def packed(resources: dict, limits: dict) -> bool:
    """Whether a training job with `resources` (job_resources) may share an allocation with other
    small runs on a cluster: no GPU, and no more threads, memory or runtime than config `pack`
    allows. A run over any limit gets an allocation of its own."""
    return resources["gpu"] == 0 and all(
        resources[key] <= limits[key] for key in ("threads", "mem_mb", "runtime")
    )

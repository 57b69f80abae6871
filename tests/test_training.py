"""Training: resume after a kill, divergence recorded as a result, seeds reproduce."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import valid_spec, write_spec

from netspec.data.prepare import prepare
from netspec.results.metrics import metrics_job
from netspec.spec.hardware import FLAGS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "digits.npz"
    prepare("digits", path)
    return path


def run_training(spec, data, out, wait=True):
    command = [sys.executable, "-m", "netspec.train", str(spec), str(data), str(out), "1"]
    if not wait:
        return subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=300)


def test_killed_training_resumes_from_its_last_finished_epoch(tmp_path, digits):
    spec = write_spec(
        tmp_path,
        "slow.json",
        valid_spec(
            model={"template": "convnet", "units": 32, "padding": "same"},
            training={"epochs": 12, "batch_size": 16},
        ),
    )
    out = tmp_path / "out"
    progress = out / ".resume/progress.json"
    job = run_training(spec, digits, out, wait=False)
    deadline = time.time() + 120
    while time.time() < deadline:
        if progress.exists() and len(json.loads(progress.read_text())["epochs"]) >= 2:
            break
        time.sleep(0.05)
    job.send_signal(signal.SIGKILL)
    job.wait()
    done_before_kill = len(json.loads(progress.read_text())["epochs"])
    assert 2 <= done_before_kill < 12, "the kill must land mid-training"
    assert not (out / "history.json").exists()

    result = run_training(spec, digits, out)
    assert f"resumed after epoch {done_before_kill}" in result.stdout
    assert f"epoch {done_before_kill + 1}/12" in result.stdout
    # epoch 1 was not trained again: the log only repeats it from before the kill
    first = [line for line in result.stdout.splitlines() if line.startswith("epoch 1/12")]
    assert len(first) == 1 and first[0].endswith("(before the interruption)")
    history = json.loads((out / "history.json").read_text())
    assert history["epochs"] == list(range(1, 13))
    assert all(v is not None for v in history["metrics"]["val_accuracy"])
    run = json.loads((out / "run.json").read_text())
    assert run["resumed_from_epoch"] == done_before_kill and run["epochs_run"] == 12
    assert not (out / ".resume").exists()


def test_diverged_run_is_a_result_not_a_crash(tmp_path, digits):
    spec = write_spec(
        tmp_path,
        "wild.json",
        valid_spec(
            data={"dataset": "digits", "max_train_samples": 200, "max_test_samples": 50},
            model={"template": "mlp", "units": 16},
            optimizer={"name": "sgd", "learning_rate": 1e30},
            training={"epochs": 3, "batch_size": 20},
        ),
    )
    out = tmp_path / "out"
    result = run_training(spec, digits, out)
    assert "diverged" in result.stdout
    history = json.loads((out / "history.json").read_text())
    assert history["diverged"] is True
    metrics = json.loads((out / "metrics.json").read_text())  # the job's last step
    assert metrics["diverged"] is True
    assert metrics["test_accuracy"] is None
    recomputed = metrics_job(
        out / "history.json", out / "predictions.npz", out / "run.json", tmp_path / "again.json"
    )
    assert recomputed == metrics
    # The README's way to recompute one experiment's metrics by hand, without TensorFlow.
    (out / "metrics.json").unlink()
    command = [sys.executable, "-m", "netspec.results.metrics", str(out)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    assert json.loads((out / "metrics.json").read_text()) == metrics


def test_same_seed_same_history_with_determinism(tmp_path, digits):
    spec = write_spec(
        tmp_path,
        "det.json",
        valid_spec(
            data={"dataset": "digits", "max_train_samples": 300, "validation": 0.2},
            training={"epochs": 2, "batch_size": 32, "deterministic": True},
        ),
    )
    histories = []
    for attempt in ("a", "b"):
        run_training(spec, digits, tmp_path / attempt)
        histories.append(json.loads((tmp_path / attempt / "history.json").read_text()))
    assert histories[0]["metrics"] == histories[1]["metrics"]
    run = json.loads((tmp_path / "a/run.json").read_text())
    assert run["samples"] == {"train": 240, "validation": 60, "test": 450}


def test_a_spec_changed_since_planning_is_refused_before_training(tmp_path, digits):
    spec = write_spec(tmp_path, "late.json", valid_spec())
    out = tmp_path / "out"
    command = [sys.executable, "-m", "netspec.train", str(spec), str(digits), str(out)]
    result = subprocess.run(
        [*command, "1", "--digest", "0" * 64], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 1
    assert f"{spec}: the spec changed after the workflow was planned" in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_a_failed_run_leaves_no_older_runs_files(tmp_path):
    # model.keras and predictions.npz are not Snakemake outputs (train.smk): the job itself must
    # not let a failed retraining sit next to the previous run's model.
    spec = write_spec(tmp_path, "again.json", valid_spec())
    out = tmp_path / "out"
    out.mkdir()
    names = ("model.keras", "history.json", "predictions.npz", "run.json", "metrics.json")
    for name in names:
        (out / name).write_text("from an older run")
    command = [sys.executable, "-m", "netspec.train", str(spec), str(tmp_path / "gone.npz")]
    result = subprocess.run([*command, str(out)], capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "gone.npz" in result.stderr
    assert [name for name in names if (out / name).exists()] == []


def test_training_batches_cover_every_sample_each_epoch_in_an_order_fixed_by_seed_and_epoch():
    import numpy as np

    from netspec.train.pipeline import batches, steps, training_batches

    x = np.arange(50, dtype=np.float32).reshape(50, 1)
    y = np.arange(50) % 10

    def epochs(data):
        values = np.concatenate([batch[0].numpy()[:, 0] for batch in data])
        return [list(values[i : i + 50]) for i in range(0, len(values), 50)]

    data = training_batches((x, y), 16, 3, range(0, 3))
    assert [len(b[0]) for b in data] == [16, 16, 16, 2] * 3 and steps(50, 16) == 4
    three = epochs(data)
    assert all(sorted(epoch) == list(range(50)) for epoch in three)
    assert three[0] != three[1] != three[2], "a new order each epoch"
    # Resuming at epoch 2 gives epoch 2's order: no random stream carried over from epochs 0-1.
    assert epochs(training_batches((x, y), 16, 3, range(2, 3))) == three[2:]
    assert epochs(training_batches((x, y), 16, 4, range(0, 1)))[0] != three[0]
    assert epochs(training_batches((x, y), 16, None, range(0, 1)))[0] == list(range(50))
    assert epochs(batches((x, y), 16))[0] == list(range(50))
    # tf.data's autotuner idled a one-CPU job once per epoch (bench/README.md, figure 4).
    assert data.options().autotune.enabled is False


def test_a_run_that_raises_is_recorded_failed_with_its_reason_and_reported(tmp_path, digits):
    """A real failure (labels outside the classes make TensorFlow raise in the first step): the
    job records it instead of vanishing, the report and results.csv show it with its reason,
    left out of the means, and the resume state stays for the retry."""
    from netspec.data.prepare import write_npz
    from netspec.results.plots import plots_job
    from netspec.results.report import write_report
    from netspec.results.study import study_at

    data = {
        "dataset": "digits",
        "validation": 0.2,
        "max_train_samples": 200,
        "max_test_samples": 50,
    }
    specs = {
        name: write_spec(tmp_path, f"{name}.json", valid_spec(data=data))
        for name in ("bad", "good")
    }
    with np.load(digits) as arrays:
        broken = {key: arrays[key] for key in arrays.files}
    broken["y_train"] = np.full_like(broken["y_train"], 12)  # 10 classes: 12 is none of them
    write_npz(tmp_path / "broken.npz", broken)
    outputs = tmp_path / "outputs"
    result = run_training(specs["bad"], tmp_path / "broken.npz", outputs / "bad")
    assert "failed: InvalidArgumentError: Received a label value of 12" in result.stdout
    metrics = json.loads((outputs / "bad/metrics.json").read_text())
    assert metrics["failed"].startswith("InvalidArgumentError: Received a label value of 12")
    assert metrics["test_accuracy"] is None and metrics["selected_epoch"] is None
    assert (
        json.loads((outputs / "bad/last_failure.json").read_text())["reason"] == metrics["failed"]
    )
    assert (outputs / "bad/.resume").is_dir()  # a retry resumes from here
    run_training(specs["good"], digits, outputs / "good")

    study = study_at(outputs, ["bad", "good"], "with a failure")
    plots_job(study, {"dpi": 30}, tmp_path / "cache")  # a failed run's empty history is drawn too
    write_report(study, outputs / "report/index.html", outputs / "report/results.csv")
    page = (outputs / "report/index.html").read_text()
    assert ">bad</a> <span class='warning'>(failed: InvalidArgumentError: Received a label" in page
    assert "Failed: InvalidArgumentError: Received a label value of 12" in page
    rows = list(csv.DictReader((outputs / "report/results.csv").open()))
    assert [(row["experiment"], row["rank"]) for row in rows] == [("good", "1"), ("bad", "2")]
    assert rows[1]["status"].startswith("failed: InvalidArgumentError: Received a label value")
    assert rows[0]["status"] == "ok"


def test_tensorboard_finds_every_runs_curves_and_hyperparameters(tmp_path, digits):
    """What `tensorboard --logdir outputs` reads, through TensorBoard's own event reader."""
    from tensorboard.backend.event_processing.event_multiplexer import EventMultiplexer
    from tensorboard.plugins.hparams import plugin_data_pb2

    data = {
        "dataset": "digits",
        "validation": 0.2,
        "max_train_samples": 200,
        "max_test_samples": 50,
    }
    for rate in (0.01, 0.001):
        name = f"lr{rate}".replace(".", "_")
        spec = valid_spec(data=data, optimizer={"name": "adam", "learning_rate": rate})
        spec["training"]["epochs"] = 2
        run_training(
            write_spec(tmp_path, f"{name}.json", spec), digits, tmp_path / "outputs" / name
        )
    board = EventMultiplexer().AddRunsFromDirectory(str(tmp_path / "outputs"))
    board.Reload()
    runs = board.Runs()
    for name in ("lr0_01", "lr0_001"):
        for group in ("train", "validation"):
            tags = runs[f"{name}/tensorboard/{group}"]["tensors"]
            assert {"epoch_accuracy", "epoch_loss"} <= set(tags)
            events = board.Tensors(f"{name}/tensorboard/{group}", "epoch_accuracy")
            assert [event.step for event in events] == [1, 2]
        content = board.PluginRunToTagToContent("hparams")[f"{name}/tensorboard"]
        start = plugin_data_pb2.HParamsPluginData.FromString(
            content["_hparams_/session_start_info"]
        ).session_start_info
        assert start.hparams["optimizer.learning_rate"].number_value == float(
            name[2:].replace("_", ".")
        )
        assert start.hparams["model.template"].string_value == "convnet"
    history = json.loads((tmp_path / "outputs/lr0_01/history.json").read_text())
    last = board.Tensors("lr0_01/tensorboard/validation", "epoch_accuracy")[-1]
    from tensorboard.util import tensor_util

    assert tensor_util.make_ndarray(last.tensor_proto) == pytest.approx(
        history["metrics"]["val_accuracy"][-1]
    )


@pytest.mark.parametrize("precision", ["float32", "mixed_bfloat16", "mixed_float16"])
def test_each_precision_trains_and_is_recorded(tmp_path, digits, precision):
    """A 1-epoch run on 200 digits in each precision, through the training job itself."""
    data = {
        "dataset": "digits",
        "validation": 0.2,
        "max_train_samples": 200,
        "max_test_samples": 50,
    }
    spec = valid_spec(data=data)
    spec["training"]["precision"] = precision
    out = tmp_path / "out"
    run_training(write_spec(tmp_path, "p.json", spec), digits, out)
    history = json.loads((out / "history.json").read_text())
    assert history["diverged"] is False and len(history["epochs"]) == 1
    assert 0 <= history["metrics"]["val_accuracy"][0] <= 1
    run = json.loads((out / "run.json").read_text())
    assert run["precision"] == precision
    assert set(run["hardware"]["cpu"]["flags"]) <= set(FLAGS)  # the flags that decide its speed


def test_a_run_in_a_shared_worker_is_the_run_alone_and_a_failure_loses_nothing(tmp_path, digits):
    """Deterministic runs: one alone, then through --shared after another run in the same
    worker, give the same history; a run that fails in the worker is recorded as failed and the
    worker trains the next run."""
    from netspec.data.prepare import write_npz

    data = {
        "dataset": "digits",
        "validation": 0.2,
        "max_train_samples": 300,
        "max_test_samples": 50,
    }
    specs = {}
    for name, seed in (("first", 1), ("second", 0)):
        spec = valid_spec(data=data, model={"template": "convnet", "units": 8, "dropout": 0.1})
        spec["model"]["padding"] = "same"
        spec["training"].update(epochs=3, seed=seed, deterministic=True)
        specs[name] = write_spec(tmp_path, f"{name}.json", spec)
    with np.load(digits) as arrays:
        broken = {key: arrays[key] for key in arrays.files}
    broken["y_train"] = np.full_like(broken["y_train"], 12)
    write_npz(tmp_path / "broken.npz", broken)

    def shared(spec, data_file, out):
        command = [sys.executable, "-m", "netspec.train", str(spec), str(data_file), str(out)]
        result = subprocess.run(
            [*command, "1", "--shared"], cwd=tmp_path, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    run_training(specs["second"], digits, tmp_path / "alone")
    shared(specs["first"], tmp_path / "broken.npz", tmp_path / "failed")  # fails in the worker
    assert json.loads((tmp_path / "failed/metrics.json").read_text())["failed"]
    shared(specs["first"], digits, tmp_path / "first")
    said = shared(specs["second"], digits, tmp_path / "worker")
    assert said.startswith("done second: selected epoch 3 of 3")
    alone = json.loads((tmp_path / "alone/history.json").read_text())
    worker = json.loads((tmp_path / "worker/history.json").read_text())
    assert worker["metrics"] == alone["metrics"]
    assert worker["selected_epoch"] == alone["selected_epoch"]
    run = json.loads((tmp_path / "worker/run.json").read_text())
    assert run["shared_worker"] is True
    assert run["timeline_s"]["tensorflow_imported"] < 2  # TensorFlow was already loaded

"""The study workflow end to end on a tiny real study (2 specs, 1 epoch, 200 digits)."""

from __future__ import annotations

import base64
import csv
import json
import os
import re
import shutil
from html.parser import HTMLParser
from io import BytesIO

import numpy as np
import pytest
from workflow_helpers import (
    ROOT,
    STUDY_JOBS,
    TINY_BASE,
    TINY_CONFIG,
    TINY_SPECS,
    copy_study,
    edit_spec,
    per_experiment,
    planned,
    snakemake,
    write_study,
)

pytestmark = pytest.mark.slow

OUTPUTS = [
    "outputs/data/digits.npz",
    "outputs/report/index.html",
    "outputs/report/results.csv",
    "outputs/plots/comparison.png",
    "outputs/plots/accuracy.png",
    "outputs/plots/curves/alpha.png",
    "outputs/plots/curves/beta.png",
    *(
        f"outputs/{exp}/{name}"
        for exp in ("alpha", "beta")
        for name in (
            "model.keras",
            "history.json",
            "predictions.npz",
            "run.json",
            "train.log",
            "metrics.json",
        )
    ),
]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """The tiny study, run once to completion; tests work on copies of it."""
    folder = write_study(tmp_path_factory.mktemp("study"))
    result = snakemake(folder, "--cores", "2")
    assert result.returncode == 0, result.stderr[-4000:]
    return folder


@pytest.fixture
def copy(study, tmp_path):
    return copy_study(study, tmp_path / "study")


def test_full_run_writes_every_output(study):
    for name in OUTPUTS:
        assert (study / name).is_file(), name
    run = json.loads((study / "outputs/alpha/run.json").read_text())
    assert run["samples"] == {"train": 200, "validation": 100, "test": 100}
    assert run["threads"] == 1 and run["versions"]["keras"].startswith("3.")
    assert run["precision"] == "float32" and "flags" in run["hardware"]["cpu"]
    assert run["code"] is None or set(run["code"]) == {"commit", "dirty"}  # git, where there is
    log = (study / "outputs/alpha/train.log").read_text()
    assert re.search(r"^epoch 1/1 .*val_accuracy .* elapsed \d+s  eta 0s$", log, re.M)
    # TensorFlow's start-up chatter and Keras' false shuffle warning are not in the log
    for noise in ("absl::InitializeLog", "I0000", "cuInit", "shuffle=True"):
        assert noise not in log
    metrics = json.loads((study / "outputs/beta/metrics.json").read_text())
    assert metrics["selected_epoch"] == 1 and len(metrics["confusion_matrix"]) == 10


def test_a_nothing_to_do_after_a_full_run(copy):
    assert planned(copy) == set()


def test_b_learning_rate_change_reruns_exactly_that_experiment(copy):
    edit_spec(
        copy, "alpha.json", lambda s: s.update(optimizer={"name": "adam", "learning_rate": 0.02})
    )
    assert planned(copy) == per_experiment("alpha")
    beta = {name: (copy / f"outputs/beta/{name}").stat().st_mtime_ns for name in BETA_FILES}
    curve = (copy / "outputs/plots/curves/beta.png").read_bytes()
    result = snakemake(copy, "--cores", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    # The plots job redrew alpha's curve only; beta's came from the cache, byte for byte.
    assert "curves: 1 drawn, 1 unchanged" in (copy / "outputs/logs/plots.log").read_text()
    assert (copy / "outputs/plots/curves/beta.png").read_bytes() == curve
    assert {n: (copy / f"outputs/beta/{n}").stat().st_mtime_ns for n in BETA_FILES} == beta
    assert planned(copy) == set()


@pytest.mark.parametrize("edit", ["description", "reordered"])
def test_c_prose_or_key_order_reruns_no_training(copy, edit):
    path = copy / "specs/beta.json"
    spec = json.loads(path.read_text())
    if edit == "description":
        spec["description"] = "Beta, described differently"
    else:
        spec = dict(reversed(list(spec.items())))
    path.write_text(json.dumps(spec, indent=4))
    assert not {job for job in planned(copy) if job[0] == "train"}


def test_d_touching_a_spec_reruns_nothing(copy):
    os.utime(copy / "specs/alpha.json")
    os.utime(copy / "specs/_base.json")
    assert planned(copy) == set()


def test_e_adding_a_spec_trains_only_the_new_experiment(copy):
    (copy / "specs/gamma.json").write_text(
        json.dumps({"extends": "_base.json", "optimizer": {"name": "sgd", "learning_rate": 0.05}})
    )
    assert planned(copy) == per_experiment("gamma")


BETA_FILES = ("model.keras", "history.json", "predictions.npz", "run.json", "metrics.json")


def test_f_deleting_a_spec_drops_it_from_the_report(copy):
    (copy / "specs/beta.json").unlink()
    assert planned(copy) == STUDY_JOBS
    result = snakemake(copy, "--cores", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    page = (copy / "outputs/report/index.html").read_text()
    assert 'id="alpha"' in page and 'id="beta"' not in page
    assert "beta" not in (copy / "outputs/report/results.csv").read_text()
    assert [p.name for p in (copy / "outputs/plots/curves").glob("*.png")] == ["alpha.png"]


def test_g_plot_setting_reruns_only_plots_and_report(copy):
    config = {**TINY_CONFIG, "plots": {**TINY_CONFIG["plots"], "dpi": 50}}
    (copy / "config/config.yaml").write_text(json.dumps(config))
    assert planned(copy) == STUDY_JOBS
    result = snakemake(copy, "--cores", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "curves: 2 drawn, 0 unchanged" in (copy / "outputs/logs/plots.log").read_text()


def test_h_base_change_reruns_exactly_its_children(copy):
    edit_spec(copy, "_base.json", lambda s: s["training"].update(seed=1))
    assert planned(copy) == per_experiment("alpha")


EVERY_TRAINING = per_experiment("alpha") | per_experiment("beta")


@pytest.mark.parametrize(
    ("missing", "redone"),
    [
        ("outputs/alpha/metrics.json", per_experiment("alpha")),
        ("outputs/alpha/history.json", per_experiment("alpha")),
        ("outputs/beta/run.json", per_experiment("beta")),
        ("outputs/plots/curves", STUDY_JOBS),
        ("outputs/plots/comparison.png", STUDY_JOBS),
        ("outputs/plots/accuracy.png", STUDY_JOBS),
        ("outputs/report/index.html", {("report", None)}),
        ("outputs/report/results.csv", {("report", None)}),
        # Snakemake reruns whatever reads a file it must re-make: every training of that data.
        ("outputs/data/digits.npz", {("data", None)} | EVERY_TRAINING),
    ],
)
def test_i_a_deleted_output_is_made_again_with_what_depends_on_it(copy, missing, redone):
    target = copy / missing
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    assert planned(copy) == redone


def test_j_a_failed_job_is_rerun_next_time(copy):
    """A corrupt history makes the plots job fail; Snakemake removes its outputs, and the next
    run must not call the old report current."""
    (copy / "outputs/beta/history.json").write_text("{truncated")
    result = snakemake(copy, "--cores", "2", "--forcerun", "plots")
    assert result.returncode != 0
    last = (copy / "outputs/logs/plots.log").read_text().strip().splitlines()[-1]
    assert last.startswith("error: outputs/beta/history.json: damaged (")
    assert planned(copy) == STUDY_JOBS


def test_bad_spec_stops_before_any_job_and_keeps_outputs(copy):
    before = {name: (copy / name).stat().st_mtime_ns for name in OUTPUTS}
    edit_spec(copy, "alpha.json", lambda s: s["model"].update(units=0, dropout=2))
    edit_spec(copy, "beta.json", lambda s: s.update(optimizer={"name": "adma"}))
    result = snakemake(copy, "--cores", "2")
    assert result.returncode != 0
    text = result.stdout + result.stderr
    for line in (
        "specs/alpha.json: $.model.dropout: expected a number < 1, received 2",
        "specs/alpha.json: $.model.units: expected an integer >= 1, received 0",
        "specs/beta.json: $.optimizer.name: expected one of",
    ):
        assert line in text
    assert "rule train" not in text and "Finished job" not in text
    assert {name: (copy / name).stat().st_mtime_ns for name in OUTPUTS} == before


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources, self.links = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.sources.append(attrs.get("src", ""))
        for key in ("src", "href"):
            if attrs.get(key, "").startswith(("http:", "https:", "//")):
                self.links.append(attrs[key])


def test_report_is_self_contained_and_escapes_spec_text(copy):
    edit_spec(
        copy, "beta.json", lambda s: s.update(description="<script>alert('x')</script> & friends")
    )
    result = snakemake(copy, "--cores", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    page = (copy / "outputs/report/index.html").read_text()
    # one script, netspec's own (the table sorter); the spec's text is escaped, never run
    assert page.count("<script>") == 1 and "alert(" not in page.split("<script>")[1]
    assert (
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; friends" in page
    )  # markupsafe's escape
    # The tiny study validates on the test set, and the page says what that does to its scores.
    assert "2 of 2 experiments select their epoch on the test set" in page
    assert "their test scores are optimistic" in page
    parser = _Images()
    parser.feed(page)
    assert parser.links == []
    assert len(parser.sources) == 2 + 2  # leaderboard, comparison, one curve per experiment
    from matplotlib.image import imread

    for source in parser.sources:
        prefix = "data:image/png;base64,"
        assert source.startswith(prefix)
        image = imread(BytesIO(base64.b64decode(source[len(prefix) :])), format="png")
        assert image.shape[0] > 50 and image.shape[1] > 50


def test_lint_has_only_the_conda_complaint():
    from workflow_helpers import ROOT

    result = snakemake(ROOT, "--lint")
    bullets = re.findall(r"^\s+\* (.+)$", result.stdout + result.stderr, re.M)
    assert bullets, result.stderr
    assert set(bullets) == {"Specify a conda environment or container for each rule.:"}


NO_TF_PROBE = """
import sys
from pathlib import Path
out = Path(sys.argv[1]) / "outputs"
from netspec.results.metrics import metrics_job
from netspec.results.plots import plots_job
from netspec.results.report import write_report
from netspec.results.study import study_at
from netspec.spec.study import load_study
from netspec.spec.resources import job_resources
names = ["alpha", "beta"]
experiments = load_study(Path(sys.argv[1]) / "specs")
[job_resources(e, {"threads": 1, "runtime": 5, "gpu": 0}) for e in experiments.values()]
for n in names:
    metrics_job(out / n / "history.json", out / n / "predictions.npz", out / n / "run.json",
                out / n / "metrics.again.json")
study = study_at(out, names, "probe")
plots_job(study, {}, out / "cache")
write_report(study, out / "r.html", out / "r.csv")
print("imported:", sorted(m for m in ("tensorflow", "keras") if m in sys.modules))
"""


def test_history_plots_and_report_import_no_tensorflow(copy):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", NO_TF_PROBE, str(copy)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("imported: []")
    assert (copy / "outputs/r.html").stat().st_size > 10_000


REPORT_PROBE = """
import shutil, sys
from pathlib import Path
study = Path(sys.argv[1])
shutil.rmtree(study / "specs")  # the report reads the runs' files, never a spec
from netspec.results.report import write_report
from netspec.results.study import study_at
write_report(study_at(study / "outputs", ["alpha", "beta"], "probe"), study / "r.html", study / "r.csv")
compiler = ("netspec.spec.compile", "netspec.spec.study", "netspec.spec.experiment")
print("compiled:", sorted(m for m in compiler if m in sys.modules))
"""


def test_the_report_is_built_from_the_runs_files_not_from_the_specs(copy):
    """The report job reads its declared inputs only: what trained from run.json (the changes
    from the base as they were then), the description as the spec says it now; no spec is
    compiled or read in the job."""
    import subprocess
    import sys

    edit_spec(copy, "alpha.json", lambda s: s.update(description="Alpha, renamed"))
    result = snakemake(copy, "--cores", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    page = (copy / "outputs/report/index.html").read_text()
    assert "<p>Alpha, renamed</p>" in page  # prose reaches the page without retraining
    assert "Differences from <code>specs/_base.json</code> when this run trained" in page
    assert "<code>model.dropout</code>" in page
    record = json.loads((copy / "outputs/alpha/run.json").read_text())
    assert record["base"] == "specs/_base.json"
    assert record["changes"] == [{"field": "model.dropout", "base": None, "variant": 0.1}]
    probe = subprocess.run(
        [sys.executable, "-c", REPORT_PROBE, str(copy)], capture_output=True, text=True
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    assert probe.stdout.strip().endswith("compiled: []")
    assert "<code>model.dropout</code>" in (copy / "r.html").read_text()


def test_snakemake_report_bundles_the_page_the_leaderboard_and_the_plots(copy):
    result = snakemake(copy, "--report", "report.zip")
    assert result.returncode == 0, result.stderr[-3000:]
    import zipfile

    with zipfile.ZipFile(copy / "report.zip") as bundle:
        names = bundle.namelist()
        main = next(name for name in names if name.endswith("report.html"))
        page = bundle.read(main).decode()
    assert any(name.endswith("comparison.png") for name in names)
    assert {name.rsplit("/", 1)[-1] for name in names} >= {"alpha.png", "beta.png"}
    assert any(name.endswith("index.html") and "report/" in name for name in names)
    assert any(name.endswith("results.csv") for name in names)
    assert "A netspec study" in page  # workflow/report/workflow.rst, the report's description


def test_report_links_the_curves_past_the_embedded_count(copy, monkeypatch):
    from netspec.results import report
    from netspec.results.study import study_at
    from netspec.spec.study import load_study

    monkeypatch.setattr(report, "EMBEDDED_CURVES", 1)
    monkeypatch.chdir(copy)
    experiments = load_study("specs")
    names = sorted(experiments)
    out = "outputs"
    study = study_at(out, names)
    report.write_report(study, "page/index.html", "page/results.csv")
    page = (copy / "page/index.html").read_text()
    parser = _Images()
    parser.feed(page)
    assert len(parser.sources) == 2 + 1  # leaderboard, comparison, the winner's curves
    second = list(csv.DictReader((copy / "page/results.csv").open()))[1]["experiment"]
    link = f"../outputs/plots/curves/{second}.png"
    assert f"<a href='{link}'>" in page and (copy / "page" / link).is_file()


def _damaged_npz(path, damaged: bool) -> None:
    """Valid headers and labels (what planning reads); with `damaged`, image bytes that fail
    their CRC when the data job reads them."""
    rng = np.random.default_rng(0)
    np.savez(
        path,
        x_train=rng.integers(0, 255, (600, 8, 8), dtype=np.uint8),
        y_train=np.arange(600) % 10,
        x_test=rng.integers(0, 255, (20, 8, 8), dtype=np.uint8),
        y_test=np.arange(20) % 10,
    )
    if damaged:
        data = bytearray(path.read_bytes())
        middle = data.index(b"x_train.npy") + 20_000  # far past the header planning reads
        data[middle : middle + 64] = bytes(64)
        path.write_bytes(bytes(data))


def test_keep_going_isolates_a_failing_experiment_and_the_rerun_redoes_only_it(tmp_path):
    specs = {
        **TINY_SPECS,
        "gamma.json": {
            **{k: v for k, v in TINY_BASE.items() if k != "data"},
            "data": {"dataset": {"npz": "gamma.npz"}},
        },
    }
    folder = write_study(tmp_path, specs)
    _damaged_npz(folder / "specs/gamma.npz", damaged=True)
    result = snakemake(folder, "--cores", "2", "--keep-going")
    assert result.returncode != 0
    for name in ("alpha", "beta"):
        assert (folder / f"outputs/{name}/metrics.json").is_file()
    assert not (folder / "outputs/gamma/metrics.json").exists()
    log = next((folder / "outputs/logs/data").glob("npz-gamma-*.log")).read_text()
    assert log.strip().splitlines()[-1].startswith("error: specs/gamma.npz: not a readable .npz")
    _damaged_npz(folder / "specs/gamma.npz", damaged=False)
    assert planned(folder) == {("data", None)} | per_experiment("gamma")
    assert snakemake(folder, "--cores", "2").returncode == 0
    assert planned(folder) == set()


@pytest.mark.parametrize(
    ("setting", "planned_ok"),
    [
        ("outputs=/", False),
        ("outputs=.", False),
        ("outputs=specs/out", False),
        ("specs=spe{c}s", False),
        ("plots={dpi: 50}", True),  # a nested override: numbers read as numbers
        ("title=a {braced} title", True),  # shown, not read as a wildcard
    ],
)
def test_config_values_are_checked_before_any_job(copy, setting, planned_ok):
    before = sorted(p.name for p in copy.iterdir())
    result = snakemake(copy, "--dry-run", "--config", setting)
    assert (result.returncode == 0) is planned_ok, result.stderr[-2000:]
    if not planned_ok:
        said = result.stdout + result.stderr
        assert "config " in said and "expected" in said
    assert sorted(p.name for p in copy.iterdir()) == before


def test_text_in_descriptions_is_shown_not_interpreted(copy):
    edit_spec(copy, "beta.json", lambda s: s.update(description="costs $\\frac{1$ {x} <b>"))
    result = snakemake(copy, "--cores", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "costs $\\frac{1$ {x} &lt;b&gt;" in (copy / "outputs/report/index.html").read_text()


def test_a_held_out_validation_set_is_reported_as_such(copy):
    for name in ("_base.json", "beta.json"):
        edit_spec(copy, name, lambda s: s["data"].update(validation=0.25))
    result = snakemake(copy, "--cores", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    page = (copy / "outputs/report/index.html").read_text()
    assert "Epochs were selected on a validation set held out of the training set" in page
    assert "optimistic" not in page
    run = json.loads((copy / "outputs/alpha/run.json").read_text())
    assert run["samples"] == {"train": 150, "validation": 50, "test": 100}


def test_seeds_are_runs_and_the_report_compares_variants_over_them(copy):
    for name in ("alpha.json", "beta.json"):
        edit_spec(copy, name, lambda s: s.setdefault("training", {}).update(seeds=[0, 1]))
    runs = {("train", f"{v}-s{s}") for v in ("alpha", "beta") for s in (0, 1)}
    assert planned(copy) == runs | STUDY_JOBS
    result = snakemake(copy, "--cores", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    page = (copy / "outputs/report/index.html").read_text()
    assert "Variants, over their seeds" in page and "paired by seed and by image" in page
    assert "data-top-group='" in page
    rows = list(csv.DictReader((copy / "outputs/report/results.csv").open()))
    assert [row["kind"] for row in rows] == ["variant"] * 2 + ["run"] * 4
    assert {row["variant"]: row["n"] for row in rows[:2]} == {"alpha": "2", "beta": "2"}
    assert {row["seed"] for row in rows[2:]} == {"0", "1"}
    # the fields that vary across the study, one column each; the seeds are not among them
    assert "model.template" in rows[0] and "training.seed" not in rows[0]
    # A new seed trains that seed only; dropping one trains nothing.
    edit_spec(copy, "alpha.json", lambda s: s["training"].update(seeds=[0, 1, 2]))
    assert planned(copy) == {("train", "alpha-s2")} | STUDY_JOBS
    edit_spec(copy, "alpha.json", lambda s: s["training"].update(seeds=[0]))
    assert planned(copy) == STUDY_JOBS


SWEEP = {
    "description": "learning rate x units",
    "extends": "_base.json",
    "training": {"seeds": [0, 1]},
    "sweep": {"grid": {"optimizer.learning_rate": [0.1, 0.01, 0.001], "model.units": [4, 8]}},
}


def test_a_sweep_trains_its_points_and_a_new_value_trains_only_the_new_points(tmp_path):
    folder = write_study(tmp_path, {"_base.json": TINY_BASE, "lr.json": SWEEP})

    def trainings():
        return {exp for rule, exp in planned(folder) if rule == "train"}

    ids = {
        f"lr-learning_rate-{rate}-units-{units}-s{seed}"
        for rate in (0.1, 0.01, 0.001)
        for units in (4, 8)
        for seed in (0, 1)
    }
    assert trainings() == ids  # 3 x 2 points x 2 seeds
    result = snakemake(folder, "--cores", "2")
    assert result.returncode == 0, result.stderr[-4000:]
    assert (folder / "outputs/plots/sweeps/lr.png").is_file()
    page = (folder / "outputs/report/index.html").read_text()
    assert "<h3>Sweep lr</h3><p>6 points. Best point on mean validation accuracy" in page
    rows = list(csv.DictReader((folder / "outputs/report/results.csv").open()))
    assert [row["kind"] for row in rows] == ["variant"] * 6 + ["run"] * 12
    assert {row["optimizer.learning_rate"] for row in rows} == {"0.1", "0.01", "0.001"}
    assert {row["model.units"] for row in rows} == {"4", "8"}
    assert all(row["n"] == "2" for row in rows[:6])

    edit_spec(folder, "lr.json", lambda s: s["sweep"]["grid"]["model.units"].append(16))
    assert trainings() == {
        f"lr-learning_rate-{rate}-units-16-s{seed}"
        for rate in (0.1, 0.01, 0.001)
        for seed in (0, 1)
    }
    edit_spec(folder, "lr.json", lambda s: s["sweep"]["grid"]["model.units"].remove(16))
    edit_spec(folder, "lr.json", lambda s: s["training"].update(seeds=[0]))
    assert trainings() == set()


def test_a_recorded_failure_is_retried_by_the_next_plan_and_then_rests(copy):
    # what a training job writes when its run raised (netspec.train.failure): the run's files
    # say "failed", and the mark's time joins its digest param
    marker = {"reason": "InvalidArgumentError: ...", "at": 1_764_000_000_000_000_000}
    (copy / "outputs/alpha/last_failure.json").write_text(json.dumps(marker))
    assert planned(copy) == per_experiment("alpha")
    result = snakemake(copy, "--cores", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    terminal = result.stdout + result.stderr  # the job's one line: progress, scores, time
    assert re.search(
        r"\[1/1\] done alpha: selected epoch 1 of 1, val_accuracy [\d.]+, val_loss [\d.]+; "
        r"[\d.]+s \([\d.]+s of epochs\)\n",
        terminal,
    ), terminal
    assert planned(copy) == set()  # the retry succeeded: the mark stays, nothing reruns


def test_results_prints_the_leaderboard_and_survives_head(study):
    import subprocess
    import sys

    command = [sys.executable, "-m", "netspec", "results", str(study / "outputs")]
    table = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:6] == ["#", "run", "variant", "seed", "epoch", "val_accuracy"]
    assert {line.split()[1] for line in lines[1:3]} == {"alpha", "beta"}
    assert any(re.match(r"(Best variant|Top group|One variant)", line) for line in lines[-3:])
    as_json = subprocess.run([*command, "--format", "json"], capture_output=True, text=True)
    rows = json.loads(as_json.stdout)
    ranked = sorted(rows, key=lambda row: -row["val_accuracy"])
    assert [row["run"] for row in rows] == [row["run"] for row in ranked]
    assert rows[0]["model.template"] in ("convnet", "mlp")  # a field that varies
    piped = subprocess.run(
        " ".join(map(str, command)) + " --format markdown | head -n 1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert re.match(r"\| rank +\| run +\|", piped.stdout) and piped.stderr == "", piped.stdout


def test_status_names_what_changed_and_ignores_prose(copy):
    import subprocess
    import sys

    def status():
        command = [sys.executable, "-m", "netspec", "status"]
        result = subprocess.run(command, cwd=copy, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert status().splitlines() == ["2 runs: 2 done"]
    edit_spec(copy, "alpha.json", lambda s: s.update(description="only the words"))
    assert status().splitlines() == ["2 runs: 2 done"]
    edit_spec(copy, "beta.json", lambda s: s["optimizer"].update(learning_rate=0.001))
    assert [line.split() for line in status().splitlines()] == [
        ["stale", "beta", "optimizer.learning_rate", "0.01", "->", "0.001"],
        ["2", "runs:", "1", "done,", "1", "stale"],
    ]
    (copy / "specs/gamma.json").write_text((copy / "specs/alpha.json").read_text())
    assert "new      gamma" in status()


def test_a_missing_keras_cache_fails_with_netspecs_message_in_the_terminal(tmp_path):
    """The Fashion-MNIST example offline: the data job's own one-line message is what the
    terminal shows (the workflow profile's show-failed-logs, and the job's error line)."""
    folder = write_study(tmp_path / "study")
    shutil.rmtree(folder / "specs")
    shutil.copytree(ROOT / "examples/fashion_mnist", folder / "specs")
    # offline for sure: any download goes to a proxy that refuses the connection
    closed = "http://127.0.0.1:9"
    env = {"KERAS_HOME": str(tmp_path / "keras"), "HTTPS_PROXY": closed, "HTTP_PROXY": closed}
    result = snakemake(folder, "--cores", "2", "--config", "outputs=out", env=env)
    assert result.returncode != 0
    text = result.stdout + result.stderr
    message = next(line for line in text.splitlines() if line.startswith("error: "))
    assert "fashion" in message.lower() and str(tmp_path / "keras") in message
    assert "Traceback" not in text


def test_a_bad_sweep_stops_the_plan_with_its_grid_entry_and_no_job(tmp_path):
    sweep = {
        "extends": "_base.json",
        "sweep": {"grid": {"optimizer.learning_rate": [0.1, -1], "model.unitz": [4, 8]}},
    }
    folder = write_study(tmp_path, {"_base.json": TINY_BASE, "lr.json": sweep})
    result = snakemake(folder, "--cores", "2")
    assert result.returncode != 0
    text = result.stdout + result.stderr
    assert "2 problems in the specs; nothing was run:" in text
    assert (
        "specs/lr.json: $.sweep.grid['model.unitz']: unknown key 'unitz' (did you mean 'units'?)"
        in text
    )
    assert (
        "specs/lr.json: $.sweep.grid['optimizer.learning_rate'][1]: expected a number > 0, "
        "received -1" in text
    )
    assert "Traceback" not in text and "rule train" not in text
    assert not (folder / "outputs").exists()


def test_a_score_declared_once_appears_for_runs_trained_before_it(copy, capsys):
    """One declaration (netspec.results.scores) puts a new score in the page, results.csv and
    `netspec results --wide`, computed from the facts metrics.json kept; a metrics.json of the
    old spelling (best_*) is read under today's selected_* names."""
    import csv

    from netspec.cli import main
    from netspec.results import scores
    from netspec.results.report import write_report
    from netspec.results.study import study_at

    out = copy / "outputs"
    old = json.loads((out / "alpha/metrics.json").read_text())
    renamed = {v: k for k, v in scores.RENAMED.items()}
    (out / "alpha/metrics.json").write_text(
        json.dumps({renamed.get(k, k): v for k, v in old.items()})
    )
    assert "best_val_accuracy" in json.loads((out / "alpha/metrics.json").read_text())

    def balanced(facts):  # the mean recall over classes present
        matrix = facts["confusion_matrix"]
        recalls = [row[c] / sum(row) for c, row in enumerate(matrix) if sum(row)]
        return sum(recalls) / len(recalls)

    score = scores.declare(
        scores.Score("test_balanced_accuracy", "balanced accuracy", True, balanced)
    )
    try:
        study = study_at(out, ["alpha", "beta"], "probe")
        write_report(study, out / "r.html", out / "r.csv")
        expected = {
            n: balanced(json.loads((out / n / "metrics.json").read_text()))
            for n in ("alpha", "beta")
        }
        with open(out / "r.csv", encoding="utf-8") as handle:
            rows = {r["experiment"]: r for r in csv.DictReader(handle)}
        for name, value in expected.items():
            assert float(rows[name]["test_balanced_accuracy"]) == pytest.approx(value)
        # the old file's selected-epoch values, read under their new names
        assert float(rows["alpha"]["selected_val_accuracy"]) == pytest.approx(
            old["selected_val_accuracy"]
        )
        assert float(rows["alpha"]["test_macro_f1"]) > 0  # declared after alpha's file was written
        page = (out / "r.html").read_text()
        assert "<th>balanced accuracy</th>" in page and f"{expected['alpha']:.4f}" in page
        assert main(["results", str(out), "--wide"]) == 0
        table = capsys.readouterr().out
        assert "test_balanced_accuracy" in table and f"{expected['beta']:.4f}" in table
        assert main(["results", str(out)]) == 0
        assert (
            "also scored: selected_val_loss, test_loss, test_macro_f1, test_balanced_accuracy:"
            in capsys.readouterr().out.replace("\n", " ")
        )
    finally:
        scores.forget(score.name)

"""A study in its own folder: `netspec init`, the workflow shipped in the package (a wheel in a
fresh virtualenv), outputs that name their study, and a terminal that fits a screen."""

from __future__ import annotations

import csv
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from workflow_helpers import ROOT, TINY_BASE, TINY_CONFIG, snakemake, write_study

from netspec import layout
from netspec.cli import main
from netspec.init import FILES, init_study, template_folder
from netspec.results.leaderboard import WIDTH, render


def shrink(specs: Path, **data) -> None:
    """The specs folder's base trains 1 epoch on 200 images: the mechanics, in seconds."""
    path = specs / "_base.json"
    base = json.loads(path.read_text())
    base["data"].update(max_train_samples=200, max_test_samples=100, **data)
    base["training"].update(epochs=1)
    path.write_text(json.dumps(base))


def test_init_writes_a_study_and_will_not_write_into_a_folder_in_use(tmp_path, capsys):
    assert main(["init", str(tmp_path / "mine")]) == 0
    written = {str(p.relative_to(tmp_path / "mine")) for p in (tmp_path / "mine").rglob("*")}
    assert set(FILES.values()) | {"schemas/spec.schema.json"} <= written
    config = (tmp_path / "mine/config/config.yaml").read_text()
    assert 'title: "mine"' in config
    assert "cd " in capsys.readouterr().out
    assert main(["validate", str(tmp_path / "mine/specs")]) == 0
    assert main(["init", str(tmp_path / "mine")]) == 1
    assert "not an empty folder" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError):
        init_study(tmp_path / "file")


def test_every_template_ships_in_the_wheel_and_the_checkout_is_such_a_study():
    """pyproject's package-data must name each file init copies (a wheel has nothing else), and
    the checkout's own Snakefile and profiles are the templates themselves."""
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = package_data["package-data"]["netspec"]
    for source in FILES:
        name = f"workflow/study/{source}"
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), name
    for workflow_file in (ROOT / "src/netspec/workflow").rglob("*"):
        name = str(workflow_file.relative_to(ROOT / "src/netspec"))
        if workflow_file.is_file() and "__pycache__" not in name and not name.endswith(".py"):
            assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), name
    # both sides resolved: CI's checkout is reached through a symbolic link
    assert (ROOT / "Snakefile").resolve() == (template_folder() / "Snakefile").resolve()
    assert (ROOT / "profiles").resolve() == (template_folder() / "profiles").resolve()


def rows(count: int) -> list[dict]:
    """Leaderboard rows as `leaderboard()` makes them: an MLP among convnets, many fields."""
    made = []
    for i in range(count):
        convnet = i % 3 != 0
        made.append(
            {
                "rank": i + 1,
                "variant": f"variant_with_a_long_name_{i}",
                "n": 3,
                "left_out": 0,
                "val_accuracy": 0.9 + i / 1000,
                "val_sd": 0.01,
                "test_accuracy": 0.9,
                "test_sd": 0.02,
                "model.template": "convnet" if convnet else "mlp",
                "model.pool_size": 2 if convnet else None,
                "model.kernel_size": 3 if convnet else None,
                "model.padding": "same" if convnet else None,
                "model.dropout": [0, 0.1, 0.25][i % 3],
                "optimizer.learning_rate": [0.01, 0.001][i % 2],
                "optimizer.name": ["adam", "sgd"][i % 2],
                "training.batch_size": [32, 128][i % 2],
                "model.batch_norm": bool(i % 2),
                "model.units": 100 + i,
            }
        )
    return made


def test_results_fit_a_100_column_terminal_and_wide_shows_every_field():
    text = render(rows(6), "table")
    assert max(map(len, text.splitlines())) <= WIDTH, text
    assert "pool_size" not in text.splitlines()[0]  # folded: it only follows the model kind
    assert "model.pool_size, model.kernel_size, model.padding" in text
    assert "not shown" in text and "--wide" in text
    wide = render(rows(6), "table", wide=True)
    assert all(field in wide.splitlines()[0] for field in rows(1)[0] if not field.endswith("sd"))
    assert max(map(len, wide.splitlines())) > WIDTH
    assert render(rows(6), "csv").splitlines()[0].count(",") == len(rows(1)[0]) - 1


def test_status_reads_the_specs_its_outputs_name_not_the_ones_in_the_current_folder(
    tmp_path, monkeypatch, capsys
):
    write_study(tmp_path)  # ./specs: alpha and beta
    other = tmp_path / "other"
    other.mkdir()
    (other / "gamma.json").write_text(json.dumps({**TINY_BASE, "description": "Gamma"}))
    outputs = tmp_path / "outputs" / "other"
    layout.write_study_record(
        str(outputs), layout.study_record(str(other), str(outputs), "Other", {}, ["gamma"])
    )
    monkeypatch.chdir(tmp_path)
    assert main(["status", "outputs/other"]) == 0
    out = capsys.readouterr().out
    assert "new      gamma" in out and "alpha" not in out and "1 run: 1 new" in out
    shutil.rmtree(other)
    assert main(["status", "outputs/other"]) == 1
    assert "$.specs: expected the specs folder of the study that wrote these outputs" in (
        capsys.readouterr().err
    )


def test_progress_counts_the_runs_this_invocation_trains(tmp_path):
    outputs = tmp_path / "outputs"
    layout.write_study_record(str(outputs), layout.study_record("specs", str(outputs), "", {}, []))
    assert layout.study_progress(outputs) is None  # nothing planned yet: no progress line
    (outputs / "old").mkdir()
    (outputs / "old" / layout.METRICS).write_text("{}")  # finished before this invocation
    layout.mark_started(str(outputs), ["a", "b", "old"])
    (outputs / "a").mkdir()
    (outputs / "a" / layout.METRICS).write_text("{}")
    found = layout.study_progress(outputs)
    assert (found.done, found.total) == (1, 3)
    # two runs ending together: each counts the runs that finished before it or with it
    (outputs / "b").mkdir()
    (outputs / "b" / layout.METRICS).write_text("{}")
    os.utime(outputs / "a" / layout.METRICS, ns=(time.time_ns(), time.time_ns()))  # a after b
    assert layout.study_progress(outputs, "b").done == 1
    assert layout.study_progress(outputs, "a").done == 2


# ---- end to end ---------------------------------------------------------------------------


@pytest.mark.slow
def test_a_wheel_in_a_fresh_virtualenv_inits_a_study_that_snakemake_runs(tmp_path):
    # built from a copy: an in-tree build would leave build/ and an egg-info in the checkout
    source = tmp_path / "source"
    junk = (".git", "outputs", ".snakemake", "build", "*.egg-info", "__pycache__", "bench")
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(*junk))
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w"]
        + [str(wheels), str(source)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = wheels.glob("netspec_studies-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    # --ignore-installed: the checkout's editable install is visible through the system site
    pip = [python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed"]
    pip.append(str(wheel))
    installed = subprocess.run(pip, capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr[-3000:]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run(
        [python, "-c", "import netspec.workflow as w; print(w.SNAKEFILE)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert str(venv) in where.stdout, where.stdout + where.stderr  # the wheel's, not the checkout's
    init = subprocess.run(
        [str(venv / "bin" / "netspec"), "init", "mystudy"], cwd=tmp_path, env=env, text=True
    )
    assert init.returncode == 0
    study = tmp_path / "mystudy"
    shrink(study / "specs")
    run = subprocess.run(
        [python, "-m", "snakemake", "--cores", "2"],
        cwd=study,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    page = (study / "outputs/report/index.html").read_text()
    assert "<title>mystudy</title>" in page and "cnn_dropout-s2" in page
    assert "The study's page: outputs/report/index.html" in run.stdout + run.stderr
    assert json.loads((study / "outputs/study.json").read_text())["title"] == "mystudy"


@pytest.mark.slow
def test_status_and_results_of_a_sweep_study_in_a_nested_outputs_folder(tmp_path):
    """The README's sweep example, shrunk, run beside a default study's ./specs: the commands
    given only its OUTPUTS find its specs, and the closing line names this study's command."""
    write_study(tmp_path, config={k: v for k, v in TINY_CONFIG.items() if k != "title"})
    shutil.copytree(ROOT / "examples/digits_sweep", tmp_path / "sweep")
    shrink(tmp_path / "sweep")
    for name in ("adam.json", "sgd.json"):  # one seed per point, two points per sweep
        path = tmp_path / "sweep" / name
        spec = json.loads(path.read_text())
        spec["sweep"]["grid"] = {"optimizer.learning_rate": [0.01, 0.001]}
        path.write_text(json.dumps(spec))
    base = json.loads((tmp_path / "sweep/_base.json").read_text())
    base["training"]["seeds"] = [0]
    (tmp_path / "sweep/_base.json").write_text(json.dumps(base))
    sweep_config = ("--config", "specs=sweep", "outputs=outputs/sweep")
    for quiet in (("--dry-run",), ("--unlock",)):  # no record until jobs run
        assert snakemake(tmp_path, *quiet, "--cores", "1", *sweep_config).returncode == 0
        assert not (tmp_path / "outputs/sweep" / layout.STUDY_RECORD).exists()
    result = snakemake(tmp_path, "--cores", "2", *sweep_config)
    assert result.returncode == 0, result.stderr[-4000:]
    terminal = result.stdout + result.stderr
    assert "(the leaderboard in the terminal: netspec results outputs/sweep)" in terminal
    assert re.search(r"\[4/4\] done ", terminal)
    command = [sys.executable, "-m", "netspec"]
    status = subprocess.run(
        [*command, "status", "outputs/sweep"], cwd=tmp_path, capture_output=True, text=True
    )
    assert status.returncode == 0, status.stderr
    assert status.stdout.strip() == "4 runs: 4 done", status.stdout
    results = subprocess.run(
        [*command, "results", "outputs/sweep", "--by", "run", "--format", "csv"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert results.returncode == 0, results.stderr
    assert len(results.stdout.strip().splitlines()) == 5  # a header and the sweep's 4 runs
    assert "adam-" in results.stdout and "alpha" not in results.stdout
    page = (tmp_path / "outputs/sweep/report/index.html").read_text()
    assert "netspec study: sweep" in page
    board = subprocess.run(
        [*command, "tensorboard", "outputs/sweep", "--print"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert board.stdout.strip() == "tensorboard --logdir outputs/sweep/tensorboard"
    links = sorted(p.name for p in (tmp_path / "outputs/sweep/tensorboard").iterdir())
    assert len(links) == 4 and all(name.startswith(("adam-", "sgd-")) for name in links)
    assert all((tmp_path / "outputs/sweep/tensorboard" / n / "train").is_dir() for n in links)


@pytest.mark.slow
def test_the_default_study_prints_fewer_than_60_lines(tmp_path):
    """The checkout's default study (15 runs), word for word as the README runs it."""
    for name in ("specs", "config", "schemas"):
        shutil.copytree(ROOT / name, tmp_path / name)
    result = snakemake(tmp_path, "--cores", "4", timeout=1200)
    assert result.returncode == 0, result.stderr[-4000:]
    lines = (result.stdout + result.stderr).splitlines()
    assert len(lines) < 60, "\n".join(lines)
    assert sum(line.startswith("[") and " done " in line for line in lines) == 15
    assert max(map(len, lines)) < 200
    # the page, the terminal and results.csv name the same top group
    page = (tmp_path / "outputs/report/index.html").read_text()
    on_page = re.search(r"data-top-group='([^']*)'", page).group(1).split()
    with open(tmp_path / "outputs/report/results.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    in_csv = [r["variant"] for r in rows if r["kind"] == "variant" and r["top_group"] == "true"]
    said = re.search(
        r"(?:Best variant|Top group \(not told apart on test\)): (.*?)"
        r"(?: \(alone in the top group on test\))?\. The study's page",
        result.stdout + result.stderr,
    )
    in_terminal = re.split(r", | and ", said.group(1))
    board = subprocess.run(
        [sys.executable, "-m", "netspec", "results"], cwd=tmp_path, capture_output=True, text=True
    )
    assert board.returncode == 0, board.stderr
    told = re.search(
        r"(?:Best variant|Top group \(not told apart on test\)): (.*?)"
        r"(?: \(alone in the top group on test\))?\.(?: \(|$)",
        " ".join(board.stdout.split()),
    )
    in_results = re.split(r", | and ", told.group(1))
    assert on_page and on_page == in_csv == in_terminal == in_results, (on_page, in_csv, said, told)


def test_one_round_shape_problems_come_with_the_schema_problems_of_the_same_file(tmp_path, capsys):
    spec = {**TINY_BASE, "description": "Too deep for 8x8 digits, and a dropout of 2"}
    spec["model"] = {"template": "convnet", "hidden_layers": 4, "units": 8, "dropout": 2}
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(spec))
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "$.model.dropout: expected a number < 1, received 2" in err
    assert "would shrink the spatial size below 1x1" in err
    assert "(2 problems)" in err


def test_expand_takes_several_files_and_lists_every_problem_of_all(tmp_path, capsys):
    sweep = ROOT / "examples/digits_sweep"
    assert main(["expand", str(sweep / "adam.json"), str(sweep / "sgd.json")]) == 0
    out = capsys.readouterr().out
    assert f"# {sweep / 'adam.json'}" in out and "6 points, 12 runs" in out
    assert out.count("6 points, 12 runs") == 2
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**TINY_BASE, "description": "x", "optimizer": {"name": "adma"}}))
    worse = tmp_path / "worse.json"
    worse.write_text(json.dumps({**TINY_BASE, "description": "x", "training": {"epochs": 0}}))
    assert main(["expand", str(bad), str(worse)]) == 1
    err = capsys.readouterr().err
    assert "bad.json: $.optimizer.name" in err and "worse.json: $.training" in err

"""Successive halving (netspec.halving): rungs, decisions from the rung's files alone, and the
workflow that trains rung by rung through Snakemake checkpoints."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys

import pytest
from workflow_helpers import (
    ROOT,
    TINY_BASE,
    TINY_CONFIG,
    planned,
    snakemake,
    wait_for_epochs,
    write_study,
)

from netspec.cli import main
from netspec.errors import SpecError
from netspec.halving import Search, decide, searches
from netspec.spec.compile import compile_run, compile_variants
from netspec.spec.study import load_study
from netspec.spec.sweep import promoted, rungs

GRID = {"optimizer.learning_rate": [0.003, 0.03, 0.3], "model.units": [2, 4, 8]}
SEARCH = {
    **{k: v for k, v in TINY_BASE.items() if k != "training"},
    "description": "halving over learning rate and units",
    "data": {**TINY_BASE["data"], "validation": 0.25},
    "training": {"epochs": 3, "batch_size": 50, "seeds": [0, 1], "deterministic": True},
    "sweep": {"grid": GRID, "halving": {"eta": 3, "min_epochs": 1}},
}


def _netspec(folder, *args: str) -> str:
    """What `netspec ARGS` prints in the study folder."""
    done = subprocess.run(
        [sys.executable, "-m", "netspec", *args], capture_output=True, text=True, cwd=folder
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _states(folder) -> dict[str, str]:
    """Run -> its state, as `netspec status` gives it in the study folder."""
    return {
        row["run"]: row["state"]
        for row in json.loads(_netspec(folder, "status", "--format", "json"))
    }


def test_rungs_and_promotions_follow_the_stated_arithmetic():
    assert rungs({"eta": 3, "min_epochs": 2, "max_epochs": 20}, 99) == [2, 6, 18, 20]
    assert rungs({"min_epochs": 1}, 3) == [1, 3]  # eta 3 by default; max: training.epochs
    assert rungs({"eta": 2, "min_epochs": 5}, 5) == [5]
    assert [promoted(n, 3) for n in (9, 3, 2, 1)] == [3, 1, 1, 1]


def test_a_rung_ranks_by_the_mean_over_seeds_ties_by_the_sweeps_order_unscored_last():
    search = Search(
        "s",
        ("a", "b", "c", "d"),
        {p: (f"{p}-s0", f"{p}-s1") for p in "abcd"},
        (1, 3),
        3,
        "val_accuracy",
    )
    scores = {"a": (0.5, 0.7), "b": (0.7, 0.5), "c": (0.9, None), "d": (0.2, 0.3)}
    metrics = {
        f"{p}-s{seed}.r0": {"selected_val_accuracy": value}
        for p, pair in scores.items()
        for seed, value in enumerate(pair)
    }
    found = decide(search, 0, ["d", "c", "b", "a"], metrics)
    assert found["ranking"] == ["a", "b", "d", "c"]  # a and b tie at 0.6: the sweep's order
    assert found["promoted"] == ["a", "b"] and found["scores"]["c"] is None
    assert (
        decide(
            search,
            1,
            ["a"],
            {"a-s0.r1": {"selected_val_accuracy": 1}, "a-s1.r1": {"selected_val_accuracy": 1}},
        )["promoted"]
        == []
    )


def test_a_halving_point_makes_a_run_per_seed_and_rung_of_one_lineage(tmp_path):
    write_study(tmp_path, {"search.json": SEARCH})
    experiments = load_study(tmp_path / "specs")
    assert len(experiments) == 9 * 2 * 2
    first, second = (experiments[f"search-learning_rate-0.03-units-4-s1.r{r}"] for r in (0, 1))
    assert [e.spec["training"]["epochs"] for e in (first, second)] == [1, 3]
    assert first.lineage == second.lineage and first.digest != second.digest
    assert first.run_id == second.run_id == "search-learning_rate-0.03-units-4-s1"
    (search,) = searches(experiments).values()
    assert search.epochs == (1, 3) and len(search.points) == 9
    assert search.most_epochs() == 18 * 1 + 6 * 2 and search.grid_epochs() == 18 * 3
    # one seed (training.seed): a rung's run is POINT.rR, and a training job compiles it
    single = {**SEARCH, "training": {"epochs": 3, "batch_size": 50, "seed": 0}}
    spec = write_study(tmp_path / "single", {"single.json": single}) / "specs/single.json"
    run = compile_run(spec, "single-learning_rate-0.3-units-2.r1")
    assert run.id == "single-learning_rate-0.3-units-2.r1" and run.spec["training"]["epochs"] == 3


def test_expand_and_show_say_the_rungs_and_the_most_epochs_the_search_can_spend(tmp_path, capsys):
    spec = write_study(tmp_path, {"search.json": SEARCH}) / "specs/search.json"
    for command in ("expand", "show"):
        assert main([command, str(spec)]) == 0
        said = " ".join(capsys.readouterr().out.split())
        assert "rungs at 1 (9 points), 3 (3 points) epochs" in said, command
        assert "At most 30 epochs in all, against 54 for the full grid (1.8x fewer)" in said
    assert "estimated training cost: at most" in said and "(30 epochs at most" in said
    flat = {**SEARCH, "sweep": {"grid": GRID, "halving": {"min_epochs": 3}}}
    spec = write_study(tmp_path / "flat", {"flat.json": flat}) / "specs/flat.json"
    assert main(["expand", str(spec)]) == 0
    assert "nothing is pruned: a plain grid" in " ".join(capsys.readouterr().out.split())


def test_both_grid_and_random_is_one_clear_problem(tmp_path):
    from netspec.errors import SpecError

    spec = {
        **SEARCH,
        "sweep": {
            **SEARCH["sweep"],
            "random": {"samples": 2, "space": {"model.units": {"integer": [2, 8]}}},
        },
    }
    write_study(tmp_path, {"search.json": spec})
    with pytest.raises(SpecError, match="expected exactly one of grid or random"):
        load_study(tmp_path / "specs")


@pytest.mark.slow
def test_a_halving_study_trains_rung_by_rung_and_a_rerun_plans_nothing(tmp_path):
    folder = write_study(tmp_path, {"search.json": SEARCH}, TINY_CONFIG)
    first = planned(folder)
    assert sum(rule == "train_rung" for rule, _ in first) == 18  # rung 0: 9 points x 2 seeds
    assert all(exp.endswith(".r0") for rule, exp in first if rule == "train_rung")
    result = snakemake(folder, "--cores", "2")
    assert result.returncode == 0, result.stderr[-4000:]
    out = folder / "outputs"
    # the ranking recomputed here from the rung-0 files names the points rung 1 trained
    (search,) = searches(load_study(folder / "specs")).values()
    means = {}
    for point in search.points:
        values = [
            json.loads((out / f"{run}.r0/metrics.json").read_text())["selected_val_accuracy"]
            for run in search.runs[point]
        ]
        means[point] = sum(values) / 2
    order = sorted(search.points, key=lambda p: (-round(means[p], 12), search.points.index(p)))
    trained = {f.parent.name for f in out.glob("*.r1/metrics.json")}
    assert trained == {f"{run}.r1" for p in order[:3] for run in search.runs[p]}
    decision = json.loads((out / "halving/search/rung-0.json").read_text())
    assert decision["promoted"] == order[:3]
    # a promoted run continued from its rung-0 state: its first epoch is rung 0's, not redone
    run = search.runs[order[0]][0]
    early = json.loads((out / f"{run}.r0/history.json").read_text())["metrics"]
    later = json.loads((out / f"{run}.r1/history.json").read_text())["metrics"]
    assert len(later["val_loss"]) == 3 and later["val_loss"][0] == early["val_loss"][0]
    assert json.loads((out / f"{run}.r1/run.json").read_text())["resumed_from_epoch"] == 1
    # ... and its history is, number for number, that of the point trained straight through
    point = load_study(folder / "specs")[f"{run}.r1"].point
    straight = json.loads(json.dumps(SEARCH))
    del straight["sweep"]
    straight["training"]["seeds"] = [0]
    for path, value in point.items():
        section, key = path.split(".")
        straight[section][key] = value
    (tmp_path / "straight.json").write_text(json.dumps(straight))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "netspec.train",
            str(tmp_path / "straight.json"),
            str(out / "data/digits.npz"),
            str(tmp_path / "straight-s0"),
            "1",
            "--run",
            "straight-s0",
        ],
        capture_output=True,
        text=True,
        cwd=folder,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads((tmp_path / "straight-s0/history.json").read_text())["metrics"] == later
    # the page: the rung figure, and the epochs spent against the full grid's
    assert (out / "plots/sweeps/search-rungs.png").stat().st_size > 1000
    page = " ".join((out / "report/index.html").read_text().split())
    assert (
        "6 of 9 points pruned; the search trained 30 epochs, against 54 for the full grid" in page
    )
    assert "rungs of search" in page  # the rung figure's alt text
    assert page.count("(pruned at rung 0)") >= 6  # the variants' table and the run leaderboard
    # pruned points are listed as pruned, never in the top group
    with open(out / "report/results.csv", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["kind"] == "variant"]
    pruned = {row["variant"] for row in rows if row["status"] == "pruned at rung 0"}
    assert pruned == set(order[3:])
    assert not any(row["top_group"] == "true" for row in rows if row["variant"] in pruned)
    board = _netspec(folder, "results", "--format", "csv")
    shown = {row["variant"]: row for row in csv.DictReader(board.splitlines())}
    assert {v for v, row in shown.items() if row["left_out"] == "pruned at rung 0"} == pruned
    assert all(shown[p]["n"] == "2" for p in order[:3])  # each seed once, at its last rung
    states = _states(folder)
    assert {run for run, state in states.items() if state == "pruned"} == {
        f"{run}.r1" for p in order[3:] for run in search.runs[p]
    }  # not "new": the search will not train them
    assert {state for state in states.values()} == {"done", "pruned"}
    assert planned(folder) == set()
    # eta 9: the same rungs, one point promoted. Nothing retrains; the two points no longer
    # promoted keep their rung-1 files, and the page says they left the search
    wider = json.loads(json.dumps(SEARCH))
    wider["sweep"]["halving"]["eta"] = 9
    (folder / "specs/search.json").write_text(json.dumps(wider))
    again = snakemake(folder, "--cores", "2")
    assert again.returncode == 0, again.stderr[-4000:]
    trained_once = [out / f"{run}.r1/train.log" for run in search.runs[order[0]]]
    assert all(log.read_text().count("--- ") == 1 for log in trained_once)  # not retrained
    page = " ".join((out / "report/index.html").read_text().split())
    left = [f"{run}.r1" for p in order[1:3] for run in search.runs[p]]
    assert "4 runs trained earlier left the search" in page
    assert all(run in page for run in left)
    assert all((out / run / "metrics.json").exists() for run in left)
    # a higher max_epochs (training.epochs 9; with eta 9 the rungs are 1 and 9): only the
    # survivor's last-rung runs train again, to 9 epochs, continuing from rung 0's kept state
    wider["training"]["epochs"] = 9
    (folder / "specs/search.json").write_text(json.dumps(wider))
    stamps = {f.parent.name: f.stat().st_mtime_ns for f in out.glob("*/metrics.json")}
    again = snakemake(folder, "--cores", "2")
    assert again.returncode == 0, again.stderr[-4000:]
    changed = {f.parent.name for f in out.glob("*/metrics.json")}
    changed = {n for n in changed if (out / n / "metrics.json").stat().st_mtime_ns != stamps.get(n)}
    assert changed == {f"{run}.r1" for run in search.runs[order[0]]}
    for run in changed:
        log = (out / run / "train.log").read_text()
        assert "continuing after epoch 1" in log.split("--- ")[-1]
        history = json.loads((out / run / "history.json").read_text())["metrics"]
        assert len(history["loss"]) == 9


# Three learning rates, 2 seeds, rungs at 2 and 30 epochs: rung 1 is long enough to interrupt.
LONG = {
    **{k: v for k, v in SEARCH.items() if k not in ("data", "training", "sweep")},
    "data": {"dataset": "digits", "validation": 0.25},
    "training": {"epochs": 30, "batch_size": 20, "seeds": [0, 1], "deterministic": True},
    "sweep": {
        "grid": {"optimizer.learning_rate": [0.001, 0.01, 0.1]},
        "halving": {"eta": 20, "min_epochs": 2},
    },
}


def _decisions_and_histories(folder) -> tuple[list, dict]:
    out = folder / "outputs"
    decisions = [json.loads(f.read_text()) for f in sorted(out.glob("halving/*/rung-*.json"))]
    histories = {
        f.parent.name: json.loads(f.read_text())["metrics"] for f in out.glob("*/history.json")
    }
    return decisions, histories


@pytest.mark.slow
def test_survivors_and_histories_do_not_depend_on_cores_or_an_interruption_in_rung_1(tmp_path):
    whole = write_study(tmp_path / "two", {"search.json": LONG}, TINY_CONFIG)
    result = snakemake(whole, "--cores", "2")
    assert result.returncode == 0, result.stderr[-4000:]
    expected = _decisions_and_histories(whole)
    assert len(expected[0]) == 2 and len(expected[0][0]["promoted"]) == 1
    assert len(expected[1]) == 6 + 2  # rung 0: 3 points x 2 seeds; rung 1: the survivor's 2
    # the same study on one core, interrupted (SIGINT to snakemake) in rung 1, rerun as advised
    folder = write_study(tmp_path / "one", {"search.json": LONG}, TINY_CONFIG)
    (survivor,) = expected[0][0]["promoted"]
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile")]
    command += ["--directory", str(folder), "--cores", "1"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        progress = folder / f"outputs/{survivor}-s0.r1/.resume/progress.json"
        assert wait_for_epochs(progress, 4) < 30
        first.send_signal(signal.SIGINT)
        said, _ = first.communicate(timeout=300)
    finally:
        first.kill()
    assert said.strip().splitlines()[-1].startswith("Interrupted:"), said[-3000:]
    rerun = snakemake(folder, "--cores", "1")
    assert rerun.returncode == 0, rerun.stderr[-4000:]
    log = (folder / f"outputs/{survivor}-s0.r1/train.log").read_text()
    assert int(log.split("resumed after epoch ")[-1].split()[0]) >= 4
    assert _decisions_and_histories(folder) == expected
    assert planned(folder) == set()


CONFIRMED = {
    **SEARCH,
    "training": {"epochs": 3, "batch_size": 50, "seeds": [0, 1], "deterministic": True},
    "sweep": {
        "grid": {"optimizer.learning_rate": [0.003, 0.03, 0.3]},
        "halving": {"eta": 3, "min_epochs": 1, "confirm": [7, 8]},
    },
}


def test_confirmation_runs_are_fresh_seeds_at_max_epochs_and_may_not_reuse_a_seed(tmp_path):
    write_study(tmp_path, {"search.json": CONFIRMED})
    experiments = load_study(tmp_path / "specs")
    run = experiments["search-learning_rate-0.03-c7"]
    assert run.confirms and run.rung is None and run.variant_id == "search-learning_rate-0.03"
    assert run.spec["training"]["seed"] == 7 and run.spec["training"]["epochs"] == 3
    (search,) = searches(experiments).values()
    assert search.confirm["search-learning_rate-0.03"] == (
        "search-learning_rate-0.03-c7",
        "search-learning_rate-0.03-c8",
    )
    again = json.loads(json.dumps(CONFIRMED))
    again["sweep"]["halving"]["confirm"] = [1, 9]
    spec = write_study(tmp_path / "again", {"again.json": again}) / "specs/again.json"
    with pytest.raises(SpecError, match=r"expected fresh seeds, none of training.seeds"):
        compile_run(spec, "again-learning_rate-0.03-c9")
    again["sweep"]["halving"]["etta"] = 3  # with another mistake: both said in one round
    spec = write_study(tmp_path / "both", {"both.json": again}) / "specs/both.json"
    with pytest.raises(SpecError) as both:
        compile_variants(spec)
    assert sorted(p.path[-1] for p in both.value.problems) == ["confirm", "etta"]


@pytest.mark.slow
def test_a_confirmed_search_judges_its_survivors_on_the_fresh_seeds_only(tmp_path):
    folder = write_study(tmp_path, {"search.json": CONFIRMED}, TINY_CONFIG)
    result = snakemake(folder, "--cores", "2")
    assert result.returncode == 0, result.stderr[-4000:]
    out = folder / "outputs"
    (survivor,) = json.loads((out / "halving/search/rung-0.json").read_text())["promoted"]
    said = " ".join((result.stdout + result.stderr).split())
    assert f"One variant, {survivor}: nothing to compare it with." in said  # pruned: not ranked
    for seed in (7, 8):  # from scratch, the last rung's epochs, the fresh seed
        record = json.loads((out / f"{survivor}-c{seed}/run.json").read_text())
        assert record["confirmation"] and record["seed"] == seed
        assert not record.get("resumed_from_epoch")
        history = json.loads((out / f"{survivor}-c{seed}/history.json").read_text())
        assert len(history["metrics"]["loss"]) == 3
    assert not list(out.glob("*-c*")) or {f.name for f in out.glob("*-c*")} == {
        f"{survivor}-c7",
        f"{survivor}-c8",
    }  # only the survivor is confirmed
    with open(out / "report/results.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    mine = [r for r in rows if r["kind"] == "variant" and r["variant"] == survivor]
    assert len(mine) == 1 and mine[0]["n"] == "2"  # the confirmation runs, not its selection's
    confirming = [r for r in rows if r["kind"] == "run" and r["variant"] == survivor]
    selection = {r["experiment"] for r in confirming if r["status"].startswith("selection run")}
    assert selection == {f"{survivor}-s0.r1", f"{survivor}-s1.r1"}
    accuracies = [
        json.loads((out / f"{survivor}-c{seed}/metrics.json").read_text())["test_accuracy"]
        for seed in (7, 8)
    ]
    assert float(mine[0]["test_accuracy"]) == pytest.approx(sum(accuracies) / 2)
    assert planned(folder) == set()
    page = " ".join((out / "report/index.html").read_text().split())
    assert "(selection run (optimistic): confirmed on fresh seeds)" in page
    assert "measured on the fresh seeds of its confirmation runs" in page
    states = _states(folder)
    assert set(states.values()) == {"done", "pruned"}  # unconfirmed points' -cS runs: pruned
    # a higher max_epochs adds a rung (1, 3, 9): the last rung's decision, final before, now
    # promotes, and the new rung continues from the old last rung's kept state
    longer = json.loads(json.dumps(CONFIRMED))
    longer["training"]["epochs"] = 9
    (folder / "specs/search.json").write_text(json.dumps(longer))
    result = snakemake(folder, "--cores", "2")
    assert result.returncode == 0, result.stderr[-4000:]
    (going,) = json.loads((out / "halving/search/rung-1.json").read_text())["promoted"]
    for seed in (0, 1):
        log = (out / f"{going}-s{seed}.r2/train.log").read_text()
        assert "continuing after epoch 3" in log
    assert planned(folder) == set()

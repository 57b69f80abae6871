"""Sweeps: a grid or a seeded random search in one spec file, each point a validated variant."""

from __future__ import annotations

import json

import pytest
from conftest import valid_spec, write_spec

from netspec.cli import main
from netspec.errors import SpecError
from netspec.spec.compile import compile_run, compile_spec, compile_variants
from netspec.spec.experiment import expand
from netspec.spec.study import compile_all
from netspec.spec.sweep import MAX_POINTS, point_id, value_text


def sweep(grid=None, random=None, **sections):
    spec = valid_spec(**sections)
    spec["sweep"] = {"grid": grid} if grid is not None else {"random": random}
    return spec


GRID = {"optimizer.learning_rate": [0.1, 0.01, 0.001], "model.units": [4, 8]}


def test_a_grid_is_every_combination_with_readable_ids(in_tmp):
    path = write_spec(in_tmp, "lr.json", sweep(GRID, training={"seeds": [0, 1], "epochs": 1}))
    variants = compile_variants(path)
    assert [v.id for v in variants] == [
        f"lr-learning_rate-{rate}-units-{units}"
        for rate in ("0.1", "0.01", "0.001")
        for units in (4, 8)
    ]
    point = variants[3]
    assert point.point == {"optimizer.learning_rate": 0.01, "model.units": 8}
    assert point.spec["optimizer"]["learning_rate"] == 0.01 and point.spec["model"]["units"] == 8
    assert "sweep" not in point.spec and point.spec_id == "lr"
    runs = [run.id for v in variants for run in expand(v)]
    assert len(runs) == 12 and runs[:2] == [
        "lr-learning_rate-0.1-units-4-s0",
        "lr-learning_rate-0.1-units-4-s1",
    ]


def test_adding_a_value_keeps_every_other_point_and_its_digest(in_tmp):
    before = {v.id: v.digest for v in compile_variants(write_spec(in_tmp, "lr.json", sweep(GRID)))}
    grid = {**GRID, "model.units": [4, 8, 16]}
    after = {v.id: v.digest for v in compile_variants(write_spec(in_tmp, "lr.json", sweep(grid)))}
    assert {k: after[k] for k in before} == before
    assert sorted(set(after) - set(before)) == sorted(
        f"lr-learning_rate-{r}-units-16" for r in ("0.1", "0.01", "0.001")
    )


def test_a_point_is_the_spec_it_would_be_if_written_by_hand(in_tmp):
    point = compile_variants(write_spec(in_tmp, "lr.json", sweep(GRID)))[0]
    by_hand = valid_spec()
    by_hand["optimizer"]["learning_rate"] = 0.1
    by_hand["model"]["units"] = 4
    assert point.digest == compile_spec(write_spec(in_tmp, "hand.json", by_hand)).digest


def test_changing_a_kind_starts_that_object_afresh_as_extends_does(in_tmp):
    spec = sweep(
        {"optimizer.name": ["sgd", "adam"], "optimizer.learning_rate": [0.1]},
        optimizer={"name": "sgd", "momentum": 0.5, "learning_rate": 0.5},
    )
    sgd, adam = compile_variants(write_spec(in_tmp, "opt.json", spec))
    assert sgd.spec["optimizer"]["momentum"] == 0.5  # same kind: the spec's own values kept
    assert adam.spec["optimizer"]["name"] == "adam" and "momentum" not in adam.spec["optimizer"]
    assert sgd.spec["optimizer"]["learning_rate"] == adam.spec["optimizer"]["learning_rate"] == 0.1


def test_a_path_into_a_list_and_names_that_would_clash(in_tmp):
    model = {
        "layers": [
            {"type": "flatten"},
            {"type": "dense", "units": 8, "activation": "relu"},
            {"type": "dense", "units": 8, "activation": "relu"},
            {"type": "dense", "units": 10, "activation": "softmax"},
        ]
    }
    grid = {"model.layers.1.units": [16], "model.layers.2.units": [4, 32]}
    variants = compile_variants(write_spec(in_tmp, "deep.json", sweep(grid, model=model)))
    assert [v.id for v in variants] == [
        "deep-layers_1_units-16-layers_2_units-4",
        "deep-layers_1_units-16-layers_2_units-32",
    ]
    assert [layer.get("units") for layer in variants[1].spec["model"]["layers"]] == [
        None,
        16,
        32,
        10,
    ]


def test_value_text_is_filesystem_safe():
    assert [value_text(v) for v in (0.001, 1e-05, 64, True, None, "Adam W")] == [
        "0.001",
        "1e-05",
        "64",
        "true",
        "null",
        "adam_w",
    ]
    assert value_text({"name": "sgd", "momentum": 0.9}).startswith("sgd.")
    long = point_id(
        "s",
        {f"model.f{i}": 0.123456789 for i in range(20)},
        {f"model.f{i}": f"f{i}" for i in range(20)},
    )
    assert long.startswith("s-p") and len(long) == len("s-p") + 12


RANDOM = {
    "samples": 12,
    "seed": 3,
    "space": {
        "optimizer.learning_rate": {"log_uniform": [0.0001, 0.1]},
        "model.units": {"integer": [2, 6]},
        "model.dropout": {"uniform": [0.0, 0.5]},
        "model.batch_norm": {"choice": [True, False]},
    },
}


def test_a_random_search_is_fixed_by_its_seed_and_grows_by_appending(in_tmp):
    first = compile_variants(write_spec(in_tmp, "r.json", sweep(random=RANDOM)))
    again = compile_variants(write_spec(in_tmp, "r.json", sweep(random=RANDOM)))
    assert [v.id for v in first] == [v.id for v in again]
    for variant in first:
        point = variant.point
        assert 0.0001 <= point["optimizer.learning_rate"] <= 0.1
        assert float(f"{point['optimizer.learning_rate']:.3g}") == point["optimizer.learning_rate"]
        assert point["model.units"] in range(2, 7) and 0 <= point["model.dropout"] <= 0.5
    assert {v.point["model.batch_norm"] for v in first} == {True, False}
    assert len({v.point["model.units"] for v in first}) > 2
    more = compile_variants(write_spec(in_tmp, "r.json", sweep(random={**RANDOM, "samples": 20})))
    assert [v.id for v in more][: len(first)] == [v.id for v in first]
    other = compile_variants(write_spec(in_tmp, "r.json", sweep(random={**RANDOM, "seed": 4})))
    assert [v.id for v in other] != [v.id for v in first]


def test_a_training_job_compiles_only_its_own_point(in_tmp, monkeypatch):
    path = write_spec(in_tmp, "lr.json", sweep(GRID, training={"seeds": [0, 1]}))
    import netspec.spec.compile as compiler

    compiled = []
    real = compiler._compile
    monkeypatch.setattr(compiler, "_compile", lambda *a: compiled.append(1) or real(*a))
    run = compile_run(path, "lr-learning_rate-0.01-units-8-s1")
    assert run.id == "lr-learning_rate-0.01-units-8-s1" and run.spec["training"]["seed"] == 1
    assert run.spec["optimizer"]["learning_rate"] == 0.01 and len(compiled) == 1
    with pytest.raises(SpecError, match="makes no run 'lr-nothing'; `netspec expand lr.json`"):
        compile_run(path, "lr-nothing")


def bad_value(tmp):
    return write_spec(tmp, "x.json", sweep({"optimizer.learning_rate": [0.1, -1]}))


def every_value_bad(tmp):
    return write_spec(tmp, "x.json", sweep({"optimizer.momentum": [0.5, 0.9]}))


def unknown_path(tmp):
    return write_spec(tmp, "x.json", sweep({"model.unitz": [1, 2]}))


def unknown_section(tmp):
    return write_spec(tmp, "x.json", sweep({"optimiser.learning_rate": [1]}))


def through_a_number(tmp):
    return write_spec(tmp, "x.json", sweep({"optimizer.learning_rate.x": [1]}))


def past_a_list(tmp):
    model = {
        "layers": [{"type": "flatten"}, {"type": "dense", "units": 10, "activation": "softmax"}]
    }
    return write_spec(tmp, "x.json", sweep({"model.layers.5.units": [3]}, model=model))


def the_seed(tmp):
    return write_spec(tmp, "x.json", sweep({"training.seed": [1, 2]}))


def malformed_path(tmp):
    return write_spec(tmp, "x.json", sweep({"model..units": [1]}))


def overlapping(tmp):
    return write_spec(tmp, "x.json", sweep({"model": [{"template": "mlp"}], "model.units": [3]}))


def empty_grid(tmp):
    return write_spec(tmp, "x.json", sweep({}))


def repeated_value(tmp):
    return write_spec(tmp, "x.json", sweep({"model.units": [4, 4]}))


def grid_and_random(tmp):
    spec = sweep({"model.units": [4]})
    spec["sweep"]["random"] = {"samples": 2, "space": {"model.units": {"integer": [1, 3]}}}
    return write_spec(tmp, "x.json", spec)


def too_many_points(tmp):
    values = list(range(1, 102))
    return write_spec(tmp, "x.json", sweep({"model.units": values, "training.epochs": values}))


def reversed_bounds(tmp):
    space = {"model.dropout": {"uniform": [0.5, 0.1]}}
    return write_spec(tmp, "x.json", sweep(random={"samples": 2, "space": space}))


def two_distributions(tmp):
    space = {"model.units": {"integer": [1, 3], "choice": [4]}}
    return write_spec(tmp, "x.json", sweep(random={"samples": 2, "space": space}))


def drawn_out_of_range(tmp):
    space = {"model.units": {"integer": [0, 0]}}
    return write_spec(tmp, "x.json", sweep(random={"samples": 1, "space": space}))


def colliding_ids(tmp):
    write_spec(tmp, "specs/a.json", sweep({"model.units": [4, 8]}))
    write_spec(tmp, "specs/a-units-4.json", valid_spec())
    return tmp / "specs"


CASES = [
    (
        bad_value,
        "x.json: $.sweep.grid['optimizer.learning_rate'][1]: expected a number > 0, received -1",
    ),
    (
        every_value_bad,
        "x.json: $.sweep.grid['optimizer.momentum']: momentum applies only to sgd, rmsprop; "
        "received it with optimizer 'adam', which takes: learning_rate, beta_1, beta_2, epsilon",
    ),
    (
        unknown_path,
        "x.json: $.sweep.grid['model.unitz']: unknown key 'unitz' (did you mean 'units'?); "
        "expected one of: activation, batch_norm, dropout, hidden_layers, kernel_size, l2, "
        "padding, pool_size, template, units",
    ),
    (
        unknown_section,
        "x.json: $.sweep.grid['optimiser.learning_rate']: unknown key 'optimiser' (did you mean "
        "'optimizer'?); expected one of: $schema, data, description, extends, model, optimizer, "
        "resources, sweep, training",
    ),
    (
        through_a_number,
        "x.json: $.sweep.grid['optimizer.learning_rate.x']: expected a path into the spec, "
        "received 'optimizer.learning_rate.x': optimizer.learning_rate is 0.01, not an object "
        "or a list",
    ),
    (
        past_a_list,
        "x.json: $.sweep.grid['model.layers.5.units']: expected a path into the spec, received "
        "'model.layers.5.units': the list there has 2 items, so index 5 is past its end",
    ),
    (
        the_seed,
        "x.json: $.sweep.grid['training.seed']: cannot sweep 'training.seed': seeds are repeats, "
        "not variants: list them in training.seeds",
    ),
    (
        malformed_path,
        "x.json: $.sweep.grid['model..units']: expected a dotted path to a spec field, like "
        "'optimizer.learning_rate' or 'model.layers.2.units', received 'model..units'",
    ),
    (
        overlapping,
        "x.json: $.sweep.grid['model.units']: expected paths that do not overlap, received "
        "'model.units' with 'model': one sets part of the other",
    ),
    (empty_grid, "x.json: $.sweep.grid: expected an object with at least 1 key, received {}"),
    (
        repeated_value,
        "x.json: $.sweep.grid['model.units']: expected distinct values, received [4, 4]",
    ),
    (
        grid_and_random,
        "x.json: $.sweep: expected exactly one of grid or random, received grid and random",
    ),
    (
        too_many_points,
        f"x.json: $.sweep.grid: expected a grid of at most {MAX_POINTS:,} points, received "
        "101 x 101 = 10,201",
    ),
    (
        reversed_bounds,
        "x.json: $.sweep.random.space['model.dropout']: expected uniform bounds [low, high] with "
        "low < high, received [0.5, 0.1]",
    ),
    (
        two_distributions,
        "x.json: $.sweep.random.space['model.units']: expected an object with exactly one key of: "
        'choice, integer, log_uniform, uniform, received {"choice": [4], "integer": [1, 3]}',
    ),
    (
        drawn_out_of_range,
        "x.json: $.sweep.random.space['model.units']: expected an integer >= 1, received 0",
    ),
    (
        colliding_ids,
        "specs/a.json: $.sweep: expected run ids of its own, received 'a-units-4', which "
        "specs/a-units-4.json also makes; rename one of the specs",
    ),
]


@pytest.mark.parametrize(("make", "message"), CASES, ids=[c[0].__name__ for c in CASES])
def test_a_bad_sweep_gives_exactly_one_clean_error(in_tmp, make, message):
    experiments, problems = compile_all([make(in_tmp)])
    assert [str(problem) for problem in problems] == [message]
    if make is not colliding_ids:
        assert experiments == []


def test_a_problem_outside_the_swept_fields_is_said_once_or_with_its_points(in_tmp):
    # 8x8 digits pooled once per hidden layer: 3 hidden layers pool them below 1x1
    spec = sweep({"model.hidden_layers": [1, 2, 3], "model.dropout": [0.1, 0.2]})
    with pytest.raises(SpecError) as caught:
        compile_variants(write_spec(in_tmp, "deep.json", spec))
    [problem] = caught.value.problems  # the same message for both failing points: said once
    assert (
        problem.path == ("model",) and "would shrink the spatial size below 1x1" in problem.message
    )
    assert problem.message.endswith("(in sweep point deep-hidden_layers-3-dropout-0.1 and 1 more)")
    spec = sweep({"model.hidden_layers": [3]})  # every point fails alike: no point named
    with pytest.raises(SpecError) as caught:
        compile_variants(write_spec(in_tmp, "deep.json", spec))
    assert "sweep point" not in str(caught.value)


def test_expand_and_show_on_the_command_line(in_tmp, capsys):
    write_spec(in_tmp, "lr.json", sweep(GRID, training={"seeds": [0, 1]}))
    assert main(["expand", "lr.json"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["point", "optimizer.learning_rate", "model.units", "runs"]
    assert out[1].split() == ["lr-learning_rate-0.1-units-4", "0.1", "4", "2"]
    assert out[-1] == "6 points, 12 runs"
    assert main(["expand", "lr.json", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["sets"] == {"optimizer.learning_rate": 0.1, "model.units": 4}
    assert rows[0]["runs"] == ["lr-learning_rate-0.1-units-4-s0", "lr-learning_rate-0.1-units-4-s1"]
    assert main(["show", "lr.json"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# lr: a sweep of 6 points")
    assert "sweep: 6 points, 12 runs (2 per point)" in out
    assert "estimated training cost:" in out and "in all" in out
    assert main(["validate", "lr.json"]) == 0
    assert capsys.readouterr().out == "1 spec valid: 6 variants, 12 runs\n"


def test_every_mistake_of_a_sweep_is_said_at_once(in_tmp):
    grid = {
        "optimizer.learning_rate.x": [1],
        "modle.units": [3],
        "training.batch_size": ["32"],
        "optimizer.name": ["sgdd"],
    }
    write_spec(in_tmp, "specs/a.json", sweep(grid))
    space = {"model.dropout": {"uniform": [0.5, 0.1]}, "model.unit": {"integer": [1, 4]}}
    write_spec(in_tmp, "specs/b.json", sweep(random={"samples": 3, "space": space}))
    model = {"template": "convnet", "units": 4, "padding": "same"}
    write_spec(in_tmp, "specs/c.json", sweep({"model.layers.3.units": [3]}, model=model))
    _, problems = compile_all(["specs"])
    assert [str(p) for p in problems] == [
        "specs/a.json: $.sweep.grid['modle.units']: unknown key 'modle' (did you mean 'model'?); "
        "expected one of: $schema, data, description, extends, model, optimizer, resources, "
        "sweep, training",
        "specs/a.json: $.sweep.grid['optimizer.learning_rate.x']: expected a number, received "
        '{"x": 1}',
        'specs/a.json: $.sweep.grid[\'optimizer.name\'][0]: expected one of "sgd", "adam", '
        '"adamw", "rmsprop", received "sgdd" (did you mean \'sgd\'?)',
        "specs/a.json: $.sweep.grid['training.batch_size'][0]: expected an integer, received "
        '"32"',
        "specs/b.json: $.sweep.random.space['model.dropout']: expected uniform bounds [low, high] "
        "with low < high, received [0.5, 0.1]",
        "specs/b.json: $.sweep.random.space['model.unit']: unknown key 'unit' (did you mean "
        "'units'?); expected one of: activation, batch_norm, dropout, hidden_layers, "
        "kernel_size, l2, padding, pool_size, template, units",
        "specs/c.json: $.sweep.grid['model.layers.3.units']: expected a path into the spec, "
        "received 'model.layers.3.units': model.layers is not set in this spec (nothing to "
        "index)",
    ]

"""The spec pipeline: extends, defaults, lowering, and what makes two specs the same experiment."""

from __future__ import annotations

import json

import pytest
from conftest import valid_spec, write_spec

from netspec.errors import SpecError
from netspec.spec.compile import compile_spec
from netspec.spec.discovery import spec_files
from netspec.spec.loading import merge
from netspec.spec.study import compile_all


def test_merge_deep_merges_objects_and_replaces_lists():
    base = {"model": {"layers": [1, 2], "x": {"a": 1, "b": 2}}, "keep": 1}
    child = {"model": {"layers": [3], "x": {"b": 3}}}
    assert merge(base, child) == {"model": {"layers": [3], "x": {"a": 1, "b": 3}}, "keep": 1}


def test_changing_kind_replaces_the_parent_object(in_tmp):
    write_spec(in_tmp, "_base.json", valid_spec(optimizer={"name": "adam", "beta_1": 0.8}))
    spec = write_spec(
        in_tmp,
        "sgd.json",
        {"extends": "_base.json", "model": {"template": "mlp"}, "optimizer": {"name": "sgd"}},
    )
    experiment = compile_spec(spec)
    assert experiment.spec["optimizer"] == {"name": "sgd", "learning_rate": 0.01}
    assert experiment.spec["model"]["template"] == "mlp"
    assert "padding" not in experiment.spec["model"]


def test_three_level_chain_resolves_nearest_first(in_tmp):
    write_spec(in_tmp, "_a.json", valid_spec(training={"epochs": 3, "seed": 1}))
    write_spec(in_tmp, "sub/_b.json", {"extends": "../_a.json", "training": {"seed": 2}})
    spec = write_spec(in_tmp, "sub/c.json", {"extends": "_b.json", "training": {"epochs": 5}})
    experiment = compile_spec(spec)
    assert experiment.spec["training"]["epochs"] == 5
    assert experiment.spec["training"]["seed"] == 2
    assert [p.name for p in experiment.chain] == ["c.json", "_b.json", "_a.json"]


def test_defaults_are_filled_from_the_schema(in_tmp):
    experiment = compile_spec(
        write_spec(
            in_tmp,
            "x.json",
            {"data": {"dataset": "digits"}, "model": {"template": "convnet", "padding": "same"}},
        )
    )
    assert experiment.spec["optimizer"] == {"name": "sgd", "learning_rate": 0.01}
    assert experiment.spec["training"]["batch_size"] == 128
    assert experiment.spec["data"]["validation"] == "test"
    assert experiment.layers[0] == {
        "type": "conv2d",
        "filters": 100,
        "kernel_size": 3,
        "strides": 1,
        "padding": "same",
        "activation": "relu",
        "use_bias": True,
        "l2": {"kernel": 0, "bias": 0},
    }
    assert experiment.canonical["optimizer"] == {
        "name": "sgd",
        "learning_rate": 0.01,
        "momentum": 0.9,
        "nesterov": False,
    }


def test_prose_and_key_order_do_not_change_the_digest(in_tmp):
    spec = valid_spec()
    first = compile_spec(write_spec(in_tmp, "a.json", {**spec, "description": "one"}))
    reordered = json.loads(json.dumps(spec), object_pairs_hook=lambda p: dict(reversed(p)))
    second = compile_spec(write_spec(in_tmp, "b.json", {"description": "two", **reordered}))
    assert first.digest == second.digest


@pytest.mark.parametrize(
    "change",
    [
        {"optimizer": {"name": "adam", "learning_rate": 0.02}},
        {"model": {"template": "convnet", "hidden_layers": 1, "units": 9, "padding": "same"}},
        {"training": {"epochs": 2, "batch_size": 32}},
        {"data": {"dataset": "digits", "max_train_samples": 100}},
    ],
)
def test_meaningful_changes_change_the_digest(in_tmp, change):
    first = compile_spec(write_spec(in_tmp, "a.json", valid_spec()))
    second = compile_spec(write_spec(in_tmp, "b.json", valid_spec(**change)))
    assert first.digest != second.digest


def test_resources_do_not_change_the_digest(in_tmp):
    first = compile_spec(write_spec(in_tmp, "a.json", valid_spec()))
    second = compile_spec(write_spec(in_tmp, "b.json", valid_spec(resources={"threads": 4})))
    assert first.digest == second.digest


def test_default_written_out_equals_default_left_out(in_tmp):
    first = compile_spec(write_spec(in_tmp, "a.json", valid_spec()))
    explicit = valid_spec()
    explicit["training"]["seed"] = 0
    explicit["model"]["kernel_size"] = 3
    assert compile_spec(write_spec(in_tmp, "b.json", explicit)).digest == first.digest


def test_npz_path_is_relative_to_the_spec_that_names_it(in_tmp):
    import numpy as np

    (in_tmp / "data").mkdir()
    np.savez(
        in_tmp / "data" / "mine.npz",
        x_train=np.zeros((4, 5, 5, 3)),
        y_train=np.arange(4),
        x_test=np.zeros((2, 5, 5, 3)),
        y_test=np.arange(2),
    )
    write_spec(
        in_tmp,
        "specs/_base.json",
        valid_spec(
            data={"dataset": {"npz": "../data/mine.npz", "num_classes": 5}},
            model={"template": "mlp"},
        ),
    )
    experiment = compile_spec(write_spec(in_tmp, "specs/x.json", {"extends": "_base.json"}))
    assert experiment.spec["data"]["dataset"]["npz"] == "data/mine.npz"
    assert experiment.dataset.input_shape == (5, 5, 3)
    assert experiment.dataset.num_classes == 5
    assert experiment.dataset_key.startswith("npz-mine-")


def test_folders_skip_bases_and_collect_every_problem(in_tmp):
    write_spec(in_tmp, "specs/_base.json", {"model": {"template": "convnet"}})
    write_spec(in_tmp, "specs/good.json", valid_spec())
    write_spec(in_tmp, "specs/bad.json", valid_spec(training={"epochs": 0}))
    write_spec(in_tmp, "specs/worse.json", "{")
    assert [p.name for p in spec_files(["specs"])[0]] == ["bad.json", "good.json", "worse.json"]
    experiments, problems = compile_all(["specs"])
    assert [e.id for e in experiments] == ["good"]
    assert [p.file for p in problems] == ["specs/bad.json", "specs/worse.json:1:2"]


def test_missing_file_is_a_spec_error(in_tmp):
    with pytest.raises(SpecError, match="nope.json: no such file"):
        compile_spec(in_tmp / "nope.json")


def test_a_specs_folder_ignores_nothing_silently(in_tmp):
    write_spec(in_tmp, "specs/good.json", valid_spec())
    write_spec(in_tmp, "specs/cnn_big.JSON", valid_spec())
    (in_tmp / "specs/y.json").mkdir()
    experiments, problems = compile_all(["specs"])
    assert [e.id for e in experiments] == ["good"]
    assert [str(p) for p in problems] == [
        "specs/cnn_big.JSON: expected the extension .json in lower case, received '.JSON': "
        "rename it, or move it out of the specs folder",
        "specs/y.json: expected a regular file, received a folder",
    ]


def test_a_base_named_explicitly_is_checked_as_a_base(in_tmp):
    write_spec(in_tmp, "_base.json", {"model": {"template": "convnet", "units": 8}})
    write_spec(in_tmp, "_full.json", valid_spec())
    write_spec(in_tmp, "_bad.json", {"training": {"epochs": 0}})
    experiments, problems = compile_all(["_base.json", "_full.json", "_bad.json"])
    assert experiments == []
    assert [str(p) for p in problems] == [
        "_bad.json: $.training.epochs: expected an integer >= 1, received 0"
    ]


def test_seeds_expand_into_runs_each_with_its_own_digest(in_tmp):
    from netspec.spec.experiment import expand

    spec = valid_spec(training={"epochs": 1, "batch_size": 32, "seeds": [0, 1]})
    runs = expand(compile_spec(write_spec(in_tmp, "a.json", spec)))
    assert [(r.id, r.variant_id, r.spec["training"]["seed"]) for r in runs] == [
        ("a-s0", "a", 0),
        ("a-s1", "a", 1),
    ]
    assert "seeds" not in runs[0].spec["training"] and runs[0].digest != runs[1].digest
    spec["training"]["seeds"] = [0, 1, 2]
    more = expand(compile_spec(write_spec(in_tmp, "a.json", spec)))
    assert [r.digest for r in more[:2]] == [r.digest for r in runs], "a new seed retrains nothing"
    single = valid_spec(training={"epochs": 1, "batch_size": 32, "seed": 1})
    [alone] = expand(compile_spec(write_spec(in_tmp, "b.json", single)))
    assert alone.id == "b" and alone.variant_id == "b"


def test_run_ids_that_collide_are_refused(in_tmp):
    write_spec(in_tmp, "specs/a.json", valid_spec(training={"seeds": [0, 1]}))
    write_spec(in_tmp, "specs/a-s0.json", valid_spec())
    experiments, problems = compile_all(["specs"])
    assert [str(p) for p in problems] == [
        "specs/a.json: expected run ids of its own, received 'a-s0', which "
        "specs/a-s0.json also makes; rename one of the specs"
    ]

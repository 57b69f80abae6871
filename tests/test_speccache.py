"""The content-keyed cache of compiled specs: reused only when every input byte is the same."""

from __future__ import annotations

import json
import os
import pickle

import numpy as np
import pytest
from conftest import Hostile, valid_spec, write_spec

import netspec.spec.compile
from netspec.errors import SpecError
from netspec.spec.speccache import SpecCache, content_key
from netspec.spec.study import load_study


@pytest.fixture
def study(tmp_path):
    write_spec(tmp_path / "specs", "_base.json", valid_spec())
    for name, rate in (("a", 0.01), ("b", 0.02)):
        write_spec(
            tmp_path / "specs",
            f"{name}.json",
            {"extends": "_base.json", "optimizer": {"name": "adam", "learning_rate": rate}},
        )
    return tmp_path


@pytest.fixture
def compiled(monkeypatch):
    """Names of the specs the compiler really ran on (cache misses), in order."""
    names = []
    real = netspec.spec.compile.compile_variants

    def counting(path):
        names.append(os.path.basename(path))
        return real(path)

    monkeypatch.setattr(netspec.spec.compile, "compile_variants", counting)
    return names


def load(study):
    return load_study(study / "specs", cache=study / "cache.json")


def test_a_second_plan_reuses_every_compiled_spec(study, compiled):
    first = load(study)
    assert compiled == ["a.json", "b.json"]
    second = load(study)
    assert compiled == ["a.json", "b.json"]  # nothing compiled again
    assert {n: e.digest for n, e in second.items()} == {n: e.digest for n, e in first.items()}
    assert second["b"].spec == first["b"].spec and second["b"].summary == first["b"].summary


def test_touching_reuses_but_editing_a_base_recompiles_its_children(study, compiled):
    load(study)
    os.utime(study / "specs/_base.json", ns=(0, 0))
    load(study)
    assert compiled == ["a.json", "b.json"]
    base = json.loads((study / "specs/_base.json").read_text())
    base["training"] = {"epochs": 3}
    (study / "specs/_base.json").write_text(json.dumps(base))
    experiments = load(study)
    assert compiled == ["a.json", "b.json", "a.json", "b.json"]
    assert experiments["a"].spec["training"]["epochs"] == 3


def test_an_edited_spec_is_recompiled_and_its_errors_are_never_cached(study, compiled):
    load(study)
    write_spec(study / "specs", "b.json", {"extends": "_base.json", "model": {"units": 0}})
    for _ in range(2):
        with pytest.raises(SpecError) as error:
            load(study)
        assert "specs/b.json: $.model.units: expected an integer >= 1, received 0" in str(
            error.value
        )
    assert compiled == ["a.json", "b.json", "b.json", "b.json"]


def test_an_npz_dataset_is_rechecked_when_its_file_changes(tmp_path, compiled):
    data = tmp_path / "specs/data.npz"
    data.parent.mkdir()
    images, labels = np.zeros((20, 4, 4), np.uint8), np.arange(20) % 2
    np.savez(data, x_train=images, y_train=labels, x_test=images, y_test=labels)
    write_spec(
        tmp_path / "specs",
        "n.json",
        valid_spec(data={"dataset": {"npz": "data.npz"}}, model={"template": "mlp", "units": 4}),
    )
    assert load(tmp_path)["n"].dataset.input_shape == (4, 4, 1)
    load(tmp_path)
    assert compiled == ["n.json"]
    np.savez(data, x_train=images[:, :2], y_train=labels, x_test=images[:, :2], y_test=labels)
    assert load(tmp_path)["n"].dataset.input_shape == (2, 4, 1)
    assert compiled == ["n.json", "n.json"]


def test_an_unreadable_cache_is_ignored(study, compiled):
    (study / "cache.json").write_bytes(b"not JSON {")
    assert set(load(study)) == {"a", "b"}
    assert compiled == ["a.json", "b.json"]
    load(study)
    assert compiled == ["a.json", "b.json"]  # and was rewritten


def test_the_cache_is_plain_json_and_loading_it_runs_no_code(study, compiled, tmp_path):
    first = load(study)
    stored = json.loads((study / "cache.json").read_text())
    assert set(stored) == {"fingerprint", "entries"} and len(stored["entries"]) == 2
    assert load(study)["a"] == first["a"] and load(study)["a"].digest == first["a"].digest
    marker = tmp_path / "ran"
    (study / "cache.json").write_bytes(pickle.dumps(Hostile(str(marker))))
    assert set(load(study)) == {"a", "b"}
    assert not marker.exists()


def test_a_changed_netspec_invalidates_everything(study, compiled, monkeypatch):
    load(study)
    monkeypatch.setattr(SpecCache, "__init__", _with_fingerprint("another netspec"))
    load(study)
    assert compiled == ["a.json", "b.json", "a.json", "b.json"]


def _with_fingerprint(value):
    real = SpecCache.__init__

    def init(self, file):
        real(self, file)
        if self.fingerprint != value:
            self.fingerprint, self.entries = value, {}

    return init


def test_the_key_follows_the_chain_and_gives_up_on_a_cycle(tmp_path):
    write_spec(tmp_path, "x.json", {"extends": "y.json"})
    write_spec(tmp_path, "y.json", {"extends": "x.json"})
    assert content_key(tmp_path / "x.json", "f") is None
    write_spec(tmp_path, "y.json", {"description": "root"})
    first = content_key(tmp_path / "x.json", "f")
    write_spec(tmp_path, "y.json", {"description": "root, reworded"})
    assert first is not None and content_key(tmp_path / "x.json", "f") != first


def test_a_cache_that_cannot_be_written_is_no_failure(study, compiled):
    (study / "blocked").write_text("a file where the cache's folder would be")
    experiments = load_study(study / "specs", cache=study / "blocked/cache.json")
    assert set(experiments) == {"a", "b"}

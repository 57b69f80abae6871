"""The netspec command: validate, show, new."""

from __future__ import annotations

import json

from conftest import valid_spec, write_spec

from netspec.cli import main


def test_validate_ok_and_failing(in_tmp, capsys):
    write_spec(in_tmp, "specs/a.json", valid_spec())
    assert main(["validate", "specs"]) == 0
    assert "1 spec valid" in capsys.readouterr().out
    write_spec(
        in_tmp, "specs/b.json", valid_spec(model={"template": "convnet", "units": 0, "dropout": 2})
    )
    assert main(["validate"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "specs/b.json: $.model.dropout: expected a number < 1, received 2",
        "specs/b.json: $.model.units: expected an integer >= 1, received 0",
        "1 valid, 1 invalid (2 problems)",
    ]


def test_validate_empty_folder_fails(in_tmp, capsys):
    (in_tmp / "empty").mkdir()
    assert main(["validate", "empty"]) == 1
    assert "no spec files" in capsys.readouterr().err


def test_show_prints_resolved_spec_and_layer_table(in_tmp, capsys):
    write_spec(in_tmp, "x.json", valid_spec())
    assert main(["show", "x.json"]) == 0
    out = capsys.readouterr().out
    assert '"batch_size": 32' in out
    assert "conv2d             8x8x8" in out
    assert "total params 994" in out
    assert "estimated memory 1280 MB" in out


def test_show_bad_spec_exits_1_with_message(in_tmp, capsys):
    write_spec(in_tmp, "x.json", "{]")
    assert main(["show", "x.json"]) == 1
    assert capsys.readouterr().err.startswith("x.json:1:2: invalid JSON")


def test_new_writes_a_spec_that_extends_its_parent(in_tmp, capsys):
    write_spec(in_tmp, "specs/base.json", valid_spec())
    assert main(["new", "wider", "--from", "specs/base.json", "--description", "wider"]) == 0
    written = json.loads((in_tmp / "specs/wider.json").read_text())
    assert written["extends"] == "base.json"
    assert written["description"] == "wider"
    assert written["$schema"].endswith("spec.schema.json")
    assert main(["validate", "specs/wider.json"]) == 0
    assert main(["new", "wider", "--from", "specs/base.json"]) == 1  # no overwrite
    assert main(["new", "Bad Name", "--from", "specs/base.json"]) == 1
    assert main(["new", "x", "--from", "specs/missing.json"]) == 1

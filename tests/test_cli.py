"""The netspec command: validate, show, new."""

from __future__ import annotations

import json

import pytest
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


def test_version_and_python_dash_m(capsys):
    import subprocess
    import sys

    from netspec import __version__

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out == f"netspec {__version__}\n"
    result = subprocess.run(
        [sys.executable, "-m", "netspec", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stdout == f"netspec {__version__}\n"


def test_a_pipe_closed_early_ends_cleanly(in_tmp):
    import subprocess
    import sys

    write_spec(in_tmp, "specs/a.json", valid_spec())
    code = "import sys; from netspec.cli import main; sys.exit(main(['show', 'specs/a.json']))"
    result = subprocess.run(
        f'{sys.executable} -c "{code}" | head -n 1',
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.startswith("# a  (specs/a.json)")
    assert result.stderr == ""  # no BrokenPipeError traceback


def test_show_of_a_base_says_what_a_base_is(in_tmp, capsys):
    write_spec(in_tmp, "specs/_base.json", {"data": {"dataset": "digits"}})
    assert main(["show", "specs/_base.json"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# specs/_base.json: a base (its name starts with '_'): specs extend it")
    assert out.rstrip().endswith("what it says is valid")


def test_a_spec_may_be_named_by_its_id(in_tmp, capsys):
    write_spec(in_tmp, "specs/cnn.json", valid_spec())
    assert main(["show", "cnn"]) == 0
    assert capsys.readouterr().out.startswith("# cnn  (specs/cnn.json)")
    assert main(["new", "wider", "--from", "cnn"]) == 0
    assert json.loads((in_tmp / "specs/wider.json").read_text())["extends"] == "cnn.json"
    with pytest.raises(SystemExit):
        main(["new", "x", "--from", "nothing"])
    assert (
        "argument --from: no spec 'nothing': expected a spec file such as specs/nothing.json"
        in (capsys.readouterr().err)
    )


def test_every_argument_has_help():
    from netspec.cli import parser

    root = parser()
    commands = next(a for a in root._actions if a.dest == "command").choices
    for name, command in commands.items():
        for action in command._actions:
            assert action.help, f"netspec {name} {action.dest} has no help"


def test_show_says_when_a_precision_lacks_hardware(in_tmp, capsys):
    from netspec.spec.hardware import gpu_present, precision_note

    assert precision_note("mixed_bfloat16", flags=["avx512f"], gpu=False).startswith(
        "this machine's CPU has neither avx512_bf16 nor amx_bf16"
    )
    assert precision_note("mixed_bfloat16", flags=["avx512_bf16"], gpu=False) is None
    assert precision_note("mixed_bfloat16", flags=[], gpu=True) is None
    assert precision_note("mixed_float16", flags=["amx_bf16"], gpu=False).startswith("no GPU")
    assert precision_note("mixed_float16", flags=[], gpu=True) is None
    assert precision_note("float32", flags=[], gpu=False) is None
    spec = valid_spec()
    spec["training"]["precision"] = "mixed_float16"
    write_spec(in_tmp, "half.json", spec)
    assert main(["show", "half.json"]) == 0
    shown = "precision mixed_float16: no GPU here" in capsys.readouterr().out
    assert shown == (not gpu_present())


def test_the_metrics_module_has_help():
    import subprocess
    import sys

    command = [sys.executable, "-m", "netspec.results.metrics", "--help"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("usage: python -m netspec.results")

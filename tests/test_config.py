"""The study config beyond its schema: numbers from --config, and folders that would let the
workflow write outside its own."""

from __future__ import annotations

import pytest

from netspec.config import coerce_numbers, folder_problems

SCHEMA = {
    "properties": {
        "title": {"type": "string"},
        "plots": {"properties": {"dpi": {"type": "integer"}, "width": {"type": "number"}}},
        "shared_workers": {"type": "boolean"},
    }
}


def test_nested_command_line_numbers_become_numbers():
    config = {"title": "50", "plots": {"dpi": "50", "width": "7.5"}}
    assert coerce_numbers(config, SCHEMA) == {"title": "50", "plots": {"dpi": 50, "width": 7.5}}
    assert coerce_numbers({"plots": {"dpi": "fifty"}}, SCHEMA) == {"plots": {"dpi": "fifty"}}
    assert coerce_numbers({"plots": {"dpi": "7.5"}}, SCHEMA) == {"plots": {"dpi": "7.5"}}


def test_command_line_booleans_become_booleans():
    assert coerce_numbers({"shared_workers": "false"}, SCHEMA) == {"shared_workers": False}
    assert coerce_numbers({"shared_workers": "True"}, SCHEMA) == {"shared_workers": True}
    assert coerce_numbers({"shared_workers": "no"}, SCHEMA) == {"shared_workers": "no"}
    assert coerce_numbers({"title": "false"}, SCHEMA) == {"title": "false"}


@pytest.mark.parametrize(
    ("outputs", "fragment"),
    [
        ("/", "a folder above it or your home"),
        (".", "which is the working directory"),
        ("..", "a folder above it or your home"),
        ("specs/out", "expected a folder apart from the specs folder 'specs'"),
        ("specs", "expected a folder apart from the specs folder 'specs'"),
        ("out{exp}", "without braces (Snakemake reads them as wildcards)"),
    ],
)
def test_outputs_must_be_a_folder_of_its_own(tmp_path, monkeypatch, outputs, fragment):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "work").mkdir()
    [problem] = folder_problems({"specs": "specs", "outputs": outputs}, tmp_path / "work")
    assert problem.startswith("config ") and fragment in problem


@pytest.mark.parametrize("outputs", ["outputs", "runs/today", "/scratch/study"])
def test_an_outputs_folder_of_its_own_is_fine(tmp_path, monkeypatch, outputs):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert folder_problems({"specs": "specs", "outputs": outputs}, tmp_path) == []


def test_figure_settings_that_would_exhaust_memory_are_refused_at_planning(tmp_path):
    from workflow_helpers import snakemake, write_study

    from netspec.config import plot_problems

    assert plot_problems({"plots": {"dpi": 100, "width": 10, "height": 4}}) == []
    [wide, tall] = plot_problems({"plots": {"dpi": 1000, "width": 100, "height": 50}})
    assert wide == (
        "config plots: expected figures of at most 10,000 pixels a side (width x dpi), "
        "received 100 x 1000 = 100,000 pixels"
    )
    assert "height x dpi" in tall
    folder = write_study(tmp_path / "study")
    result = snakemake(folder, "-n", "--config", "plots={dpi: 1000000, width: 1000000}")
    said = result.stdout + result.stderr
    assert (
        result.returncode != 0
        and "config: $.plots.dpi: expected an integer <= 1000, received 1000000" in said
    )
    result = snakemake(folder, "-n", "--config", "plots={dpi: 1000, width: 50}")
    said = result.stdout + result.stderr
    assert result.returncode != 0 and "at most 10,000 pixels a side (width x dpi)" in said
    assert not (folder / "outputs").exists()  # refused before any job

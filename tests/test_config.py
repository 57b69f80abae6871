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

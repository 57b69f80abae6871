"""The study config (config/config.yaml and --config) beyond its schema: values given on the
command line made usable, and folders that would let the workflow write outside its own."""

from __future__ import annotations

import os
from pathlib import Path


def coerce_numbers(config: dict, schema: dict) -> dict:
    """A copy of `config` where a string that the schema wants as a number is that number, and
    one it wants as true or false ("true", "false", any case) is that boolean.

    Snakemake's `--config plots={dpi: 50}` yields {"dpi": "50"}; a top-level `--config x=50`
    is already a number. Other strings are left for the schema to refuse.
    """

    def convert(value, sub: dict):
        types = sub.get("type", [])
        types = [types] if isinstance(types, str) else types
        if isinstance(value, dict):
            properties = sub.get("properties", {})
            return {k: convert(v, properties.get(k, {})) for k, v in value.items()}
        kinds = [int] * ("integer" in types) + [float] * ("number" in types)
        if isinstance(value, str) and "boolean" in types and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if isinstance(value, str):
            for kind in kinds:
                try:
                    return kind(value)
                except ValueError:
                    pass
        return value

    return convert(config, schema)


def folder_problems(config: dict, cwd: str | Path) -> list[str]:
    """What is wrong with the specs and outputs folders, in words (empty when nothing is)."""
    problems = []
    for key in ("specs", "outputs"):
        if "{" in config[key] or "}" in config[key]:
            problems.append(
                f"config {key}: expected a folder name without braces (Snakemake reads them "
                f"as wildcards), received {config[key]!r}"
            )
    if problems:
        return problems
    cwd = Path(os.path.realpath(cwd))
    outputs = Path(os.path.realpath(cwd / config["outputs"]))
    specs = Path(os.path.realpath(cwd / config["specs"]))
    home = Path(os.path.realpath(os.path.expanduser("~")))
    if outputs in (cwd, home) or outputs in cwd.parents or outputs in home.parents:
        problems.append(
            "config outputs: expected a folder of its own (netspec writes data/, report/ and "
            f"one folder per experiment into it), received {config['outputs']!r}, which is "
            f"{'the working directory' if outputs == cwd else 'a folder above it or your home'}"
        )
    elif specs == outputs or specs in outputs.parents or outputs in specs.parents:
        problems.append(
            f"config outputs: expected a folder apart from the specs folder {config['specs']!r}, "
            f"received {config['outputs']!r}"
        )
    return problems


MAX_PIXELS = 10_000  # a figure's side at most, in pixels: bounds the plots job's memory


def plot_problems(config: dict) -> list[str]:
    """Figure settings whose pixels would exhaust the plots job's memory, in words."""
    plots = config.get("plots", {})
    from netspec.results.canvas import DEFAULTS, TOP, leaderboard_height

    dpi = plots.get("dpi", DEFAULTS["dpi"])

    tallest = max(plots.get("height", DEFAULTS["height"]), leaderboard_height(TOP))
    sides = {"width": plots.get("width", DEFAULTS["width"]), "height": tallest}
    return [
        f"config plots: expected figures of at most {MAX_PIXELS:,} pixels a side ({side} x dpi), "
        f"received {inches:g} x {dpi:g} = {inches * dpi:,.0f} pixels"
        for side, inches in sides.items()
        if inches * dpi > MAX_PIXELS
    ]


def config_problems(config: dict, schema: dict) -> list[str]:
    """The config's schema violations in netspec's words (where, what was expected, what was
    found), before Snakemake's own validation fills in the defaults."""
    from netspec.errors import json_path
    from netspec.spec.messages import check_keywords
    from netspec.spec.validation import problems, validator_class

    check_keywords(schema)  # every keyword one netspec can explain
    return [
        f"config: {json_path(path)}: {message}"
        for path, message in problems(validator_class()(schema), config)
    ]

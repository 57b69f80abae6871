"""Fuzzing the whole front end with arbitrary JSON, not only schema-valid specs: loading,
extends, validation, checks, lowering, shape inference and the budget either compile a spec
or raise SpecError, and every message names the file it is about."""

from __future__ import annotations

import copy
import json
import math
import os
import tempfile

from conftest import VALID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netspec.errors import SpecError
from netspec.spec.compile import compile_spec
from netspec.spec.study import compile_all

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["digits", "convnet", "mlp", "dense", "adam", "sgd", "test", "same"])
)
keys = st.text(max_size=10) | st.sampled_from(
    [
        "data",
        "model",
        "optimizer",
        "training",
        "resources",
        "layers",
        "type",
        "units",
        "template",
        "dataset",
        "npz",
        "validation",
        "extends",
        "epochs",
        "learning_rate",
        "l2",
    ]
)
anything = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=25,
)


def _dump(value) -> str:
    # allow_nan: NaN and Infinity as JavaScript writes them, which Python's parser accepts
    return json.dumps(value, allow_nan=True)


def _names_a_file(problem) -> bool:
    """The spec itself, or a file it names (a parent through `extends`, an npz)."""
    name = problem.file.split(":")[0]
    return bool(name) and (name == "x.json" or os.path.exists(name) or name == "x")


def _check(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        cwd = os.getcwd()
        os.chdir(folder)
        try:
            with open("x.json", "w", encoding="utf-8") as handle:
                handle.write(text)
            try:
                compile_spec("x.json")
            except SpecError as error:
                assert error.problems
                assert all(_names_a_file(problem) for problem in error.problems)
            experiments, problems = compile_all(["x.json"])
            assert all(_names_a_file(problem) for problem in problems)
            assert len(experiments) + bool(problems) == 1
        finally:
            os.chdir(cwd)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(anything)
def test_arbitrary_json_gives_a_spec_or_a_spec_error_naming_the_file(value):
    _check(_dump(value))


@st.composite
def mutated_specs(draw):
    """A valid spec with a few values replaced, keys added or sections removed anywhere."""
    spec = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 4))):
        node, path = spec, []
        while isinstance(node, dict) and node and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(node)))
            path.append(key)
            if not isinstance(node[key], dict):
                break
            node = node[key]
        parent = spec
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "add", "delete"]))
        if action == "add" or not path:
            target = (
                parent
                if not path or not isinstance(parent.get(path[-1]), dict)
                else parent[path[-1]]
            )
            target[draw(keys)] = draw(anything)
        elif action == "replace":
            parent[path[-1]] = draw(anything)
        else:
            del parent[path[-1]]
    return spec


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_specs())
def test_mutated_specs_give_a_spec_or_a_spec_error_naming_the_file(spec):
    _check(_dump(spec))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_give_a_spec_error_naming_the_file(data):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "x.json")
        with open(path, "wb") as handle:
            handle.write(data)
        _, problems = compile_all([path])
        assert problems or data.strip().startswith(b"{")
        assert all(path in p.file or "x.json" in p.file for p in problems)


def test_non_finite_numbers_never_reach_validation():
    spec = copy.deepcopy(VALID)
    spec["optimizer"]["learning_rate"] = math.nan
    _check(_dump(spec))

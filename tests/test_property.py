"""Property: any schema-valid spec either compiles and builds, or raises SpecError; nothing else."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netspec.cli import main
from netspec.data.kinds import DATASETS
from netspec.errors import SpecError
from netspec.spec.compile import compile_spec
from netspec.spec.layers import ACTIVATIONS, LAYERS
from netspec.spec.optimizers import OPTIMIZERS
from netspec.spec.validation import schema_problems

keras = pytest.importorskip("keras")
from netspec.train.keras_build import build  # noqa: E402

small = st.integers(1, 12)
size = st.one_of(st.integers(1, 9), st.lists(st.integers(1, 9), min_size=2, max_size=2))
rate = st.floats(0, 0.99)
l2 = st.fixed_dictionaries({}, optional={"kernel": st.floats(0, 1), "bias": st.floats(0, 1)})
padding = st.sampled_from(["valid", "same"])
activation = st.sampled_from(ACTIVATIONS)

LAYER_PARAMS = {
    "conv2d": {
        "filters": small,
        "kernel_size": size,
        "strides": size,
        "padding": padding,
        "activation": activation,
        "use_bias": st.booleans(),
        "l2": l2,
    },
    "max_pool2d": {"pool_size": size, "strides": st.none() | size, "padding": padding},
    "avg_pool2d": {"pool_size": size, "strides": st.none() | size, "padding": padding},
    "dense": {"units": small, "activation": activation, "use_bias": st.booleans(), "l2": l2},
    "dropout": {"rate": rate},
    "batch_norm": {"momentum": st.floats(0, 1), "epsilon": st.floats(1e-6, 1)},
    "flatten": {},
    "global_avg_pool2d": {},
    "activation": {"activation": activation},
}
REQUIRED = {
    "conv2d": ["filters"],
    "dense": ["units"],
    "dropout": ["rate"],
    "activation": ["activation"],
}
assert set(LAYER_PARAMS) == set(LAYERS)


def layer(kind: str):
    params = LAYER_PARAMS[kind]
    required = {k: params[k] for k in REQUIRED.get(kind, [])}
    optional = {k: v for k, v in params.items() if k not in required}
    return st.fixed_dictionaries({"type": st.just(kind), **required}, optional=optional)


any_layer = st.sampled_from(list(LAYERS)).flatmap(layer)
block = {
    "hidden_layers": st.integers(0, 3),
    "units": small,
    "activation": activation,
    "dropout": st.none() | rate,
    "batch_norm": st.booleans(),
    "l2": l2,
}
convnet = st.fixed_dictionaries(
    {"template": st.just("convnet")},
    optional={**block, "kernel_size": size, "pool_size": size, "padding": padding},
)
mlp = st.fixed_dictionaries({"template": st.just("mlp")}, optional=block)
explicit = st.fixed_dictionaries({"layers": st.lists(any_layer, min_size=1, max_size=6)})

optimizer = st.fixed_dictionaries(
    {"name": st.sampled_from(list(OPTIMIZERS))},
    optional={
        "learning_rate": st.floats(1e-5, 1),
        "momentum": st.floats(0, 0.99),
        "nesterov": st.booleans(),
        "beta_1": rate,
        "epsilon": st.floats(1e-9, 1),
        "rho": rate,
        "weight_decay": st.floats(0, 1),
    },
)
data = st.fixed_dictionaries(
    {"dataset": st.sampled_from(list(DATASETS))},
    optional={
        "validation": st.just("test") | st.floats(0.001, 0.999, exclude_min=True),
        "max_train_samples": st.none() | st.integers(1, 3000),
    },
)
training = st.fixed_dictionaries(
    {},
    optional={
        "batch_size": st.integers(1, 512),
        "epochs": st.integers(1, 50),
        "seed": st.integers(0, 99),
        "early_stopping": st.none()
        | st.fixed_dictionaries(
            {},
            optional={
                "monitor": st.sampled_from(["val_loss", "val_accuracy"]),
                "patience": st.integers(0, 9),
            },
        ),
        "deterministic": st.booleans(),
        "jit_compile": st.booleans(),
    },
)
specs = st.fixed_dictionaries(
    {"data": data, "model": st.one_of(convnet, mlp, explicit)},
    optional={"optimizer": optimizer, "training": training, "description": st.text(max_size=20)},
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(spec=specs)
def test_valid_specs_build_or_raise_spec_error(tmp_path, spec):
    assert schema_problems(spec, lambda path: "x.json") == []  # the strategy writes valid specs
    path = tmp_path / "x.json"
    path.write_text(json.dumps(spec))
    try:
        experiment = compile_spec(path)
    except SpecError as error:
        assert error.problems and all(p.file.endswith("x.json") for p in error.problems)
        return
    model = build(experiment)
    assert model.count_params() == experiment.summary.params
    assert tuple(model.outputs[0].shape[1:]) == (experiment.dataset.num_classes,)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    spec=st.one_of(
        specs,
        st.dictionaries(
            st.sampled_from(["data", "model", "optimizer", "training", "extends", "x"]),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                lambda inner: (
                    st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3)
                ),
                max_leaves=8,
            ),
        ),
    )
)
def test_validate_never_raises_anything_but_exit_codes(tmp_path, spec, capsys):
    """Schema-valid or not, `netspec validate` answers 0 or 1 and never a traceback."""
    path = tmp_path / "x.json"
    path.write_text(json.dumps(spec))
    assert main(["validate", str(path)]) in (0, 1)

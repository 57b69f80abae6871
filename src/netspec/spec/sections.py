"""The fields of the spec's sections that are not kinds: data splitting, training, resources."""

from __future__ import annotations

from netspec.fields import OPTIONAL, Field, boolean, choice, integer, number, object_schema

DATA = {
    "validation": Field(
        {
            "type": ["string", "number"],
            "if": {"type": "string"},
            "then": {"enum": ["test"]},
            "else": {"exclusiveMinimum": 0, "exclusiveMaximum": 1},
        },
        "'test' validates on the test set each epoch (the seed's habit); a fraction in (0, 1) "
        "holds out that much of the training set and scores the test set once at the end.",
        "test",
    ),
    "max_train_samples": integer(
        "Use at most this many training samples (the first ones, after a seeded shuffle); "
        "null for all.",
        None,
        null=True,
        minimum=1,
    ),
    "max_test_samples": integer(
        "Use at most this many test samples; null for all.", None, null=True, minimum=1
    ),
}

EARLY_STOPPING = {
    "monitor": choice(
        ("val_loss", "val_accuracy", "loss", "accuracy"), "Metric watched.", "val_loss"
    ),
    "patience": integer("Epochs without improvement before stopping.", 5, minimum=0),
    "min_delta": number("Smallest change that counts as an improvement.", 0, minimum=0),
    "restore_best_weights": boolean("Keep the best epoch's weights rather than the last.", True),
}

TRAINING = {
    "select": choice(
        ("val_accuracy", "val_loss"),
        "The validation metric that selects the epoch whose weights are kept, saved and scored "
        "once on the test set (the first best epoch on ties).",
        "val_accuracy",
    ),
    "batch_size": integer("Samples per gradient step.", 128, minimum=1),
    "epochs": integer("Passes over the training data.", 20, minimum=1),
    "seed": integer(
        "Seed for weights, shuffling and dropout (keras.utils.set_random_seed).",
        0,
        minimum=0,
        maximum=2**32 - 1,
    ),
    "seeds": Field(
        {
            "type": ["array", "null"],
            "items": {"type": "integer", "minimum": 0, "maximum": 2**32 - 1},
            "minItems": 1,
            "maxItems": 100,
            "uniqueItems": True,
        },
        "Train the variant once per seed (each its own run and job, id SPEC-sSEED), so the report "
        "can tell a real difference from seed noise; null for one run with `seed`.",
        None,
    ),
    "shuffle": boolean("Shuffle the training data every epoch.", True),
    "deterministic": boolean(
        "Ask TensorFlow for deterministic ops (slower, bit-identical reruns).", False
    ),
    "jit_compile": boolean("Compile the training step with XLA.", False),
    "precision": choice(
        ("float32", "mixed_bfloat16", "mixed_float16"),
        "Numeric precision of the layers' arithmetic. float32: the seed's. mixed_bfloat16: "
        "weights in float32, arithmetic in bfloat16 (native on CPUs with avx512_bf16 or AMX, "
        "and on recent GPUs). mixed_float16: for GPUs, with loss scaling. The output layer "
        "always computes in float32; `netspec show` says when this machine lacks the hardware.",
        "float32",
    ),
    "early_stopping": Field(
        object_schema(
            EARLY_STOPPING,
            "Stop when a metric stops improving; null to always run every epoch.",
            types=["object", "null"],
        ),
        "Stop when a metric stops improving; null to always run every epoch.",
        None,
    ),
}

RESOURCES = {
    "threads": integer(
        "CPU threads (TensorFlow's thread pools and the scheduler's cores).", OPTIONAL, minimum=1
    ),
    "mem_mb": integer(
        "Memory in MB; default: estimated from the model and data size.", OPTIONAL, minimum=1
    ),
    "runtime": integer("Wall-time limit in minutes.", OPTIONAL, minimum=1),
    "gpu": integer("GPUs.", OPTIONAL, minimum=0),
}


def _pair(items: dict, description: str) -> dict:
    return {
        "type": "array",
        "items": items,
        "minItems": 2,
        "maxItems": 2,
        "description": description,
    }


DISTRIBUTION = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "maxProperties": 1,
    "description": "How a random search draws one field: exactly one of these keys.",
    "properties": {
        "log_uniform": _pair(
            {"type": "number", "exclusiveMinimum": 0},
            "[low, high], both > 0: uniform in log space (learning rates, L2 factors).",
        ),
        "uniform": _pair({"type": "number"}, "[low, high]: uniform (dropout rates)."),
        "integer": _pair({"type": "integer"}, "[low, high]: an integer, both ends included."),
        "choice": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "description": "One of these values, each as likely.",
        },
    },
}

HALVING = {
    "type": "object",
    "additionalProperties": False,
    "required": ["min_epochs"],
    "description": (
        "Successive halving: rung r trains every surviving point, with all its seeds, to "
        "min_epochs * eta**r epochs while that is below max_epochs, and a last rung to "
        "max_epochs; after each rung the best ceil(n / eta) points (at least 1) by the mean "
        "over seeds of training.select's best value so far go on, each from its state at the "
        "rung's last epoch. `netspec show SPEC` lists the rungs."
    ),
    "properties": {
        "eta": {
            "type": "integer",
            "minimum": 2,
            "maximum": 100,
            "default": 3,
            "description": "How many points there are for each one promoted, and the factor "
            "between rungs' epochs.",
        },
        "min_epochs": {
            "type": "integer",
            "minimum": 1,
            "maximum": 100000,
            "description": "The first rung's epochs.",
        },
        "max_epochs": {
            "type": "integer",
            "minimum": 1,
            "maximum": 100000,
            "description": "The last rung's epochs (default: training.epochs).",
        },
        "confirm": {
            "type": "array",
            "items": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
            "minItems": 1,
            "maxItems": 100,
            "uniqueItems": True,
            "description": "Fresh seeds (none of training.seeds) to train the points of the "
            "last rung again on, from scratch to max_epochs (runs POINT-cSEED): the verdict for "
            "the search then uses only these runs, since the selection runs chose the points "
            "and are optimistic.",
        },
    },
}

SWEEP = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "description": (
        "Make this file many variants: a grid, or a seeded random search, over spec fields "
        "named by dotted paths ('optimizer.learning_rate', 'model.layers.2.units'), exactly "
        "one of the two; `halving` makes it adaptive. Each point is validated and trained like "
        "a spec of its own, id SPEC-NAME-VALUE-...; `netspec expand SPEC` lists them."
    ),
    "properties": {
        "halving": HALVING,
        "grid": {
            "type": "object",
            "minProperties": 1,
            "description": "Dotted path -> the values to try; every combination is a point.",
            "additionalProperties": {
                "type": "array",
                "minItems": 1,
                "maxItems": 1000,
                "uniqueItems": True,
            },
        },
        "random": {
            "type": "object",
            "additionalProperties": False,
            "required": ["samples", "space"],
            "description": (
                "Draw `samples` points; a point depends only on (seed, its number, the path), "
                "so asking for more samples keeps the earlier points."
            ),
            "properties": {
                "samples": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 10000,
                    "description": "How many points to draw (a point drawn twice is kept once).",
                },
                "seed": {
                    "type": "integer",
                    "minimum": 0,
                    "default": 0,
                    "description": "Seed of the draws (not of training: that is training.seeds).",
                },
                "space": {
                    "type": "object",
                    "minProperties": 1,
                    "description": "Dotted path -> its distribution.",
                    "additionalProperties": {"$ref": "#/$defs/distribution"},
                },
            },
        },
    },
}

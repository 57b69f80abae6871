# Parse time: validate the config, then compile every spec (pure Python, no TensorFlow).
# One bad spec stops the run here, before any job starts, listing every problem.
# NETSPEC_VERSION is a param of the TF-free stages: upgrading netspec redraws plots and report.
import os

from snakemake.utils import validate

from netspec import __version__ as NETSPEC_VERSION
from netspec.errors import SpecError
from netspec.resources import job_resources
from netspec.study import load_study, shown

validate(config, workflow.source_path("../../schemas/config.schema.json"))

SPECS = config["specs"]
OUT = config["outputs"].rstrip("/")

IDS = sorted(
    name
    for name in glob_wildcards(os.path.join(SPECS, "{exp,[^/]+}.json")).exp
    if not name.startswith("_")
)


wildcard_constraints:
    exp="[a-z0-9][a-z0-9_-]*",
    dataset="[a-z0-9_-]+",


try:
    EXPERIMENTS = load_study(SPECS, IDS)
except SpecError as error:
    raise WorkflowError(
        f"{len(error.problems)} problem(s) in the specs; nothing was run:\n{error}"
    ) from None
if not EXPERIMENTS:
    raise WorkflowError(
        f"no experiments in {SPECS}/ (add a spec: netspec new NAME --from ...)"
    )

DATASETS = {e.dataset_key: e.spec["data"]["dataset"] for e in EXPERIMENTS.values()}
RESOURCES = {
    name: job_resources(e, config["resources"]) for name, e in EXPERIMENTS.items()
}


def data_file(wildcards):
    return f"{OUT}/data/{EXPERIMENTS[wildcards.exp].dataset_key}.npz"


def data_source_file(wildcards):
    source = DATASETS[wildcards.dataset]
    return [source["npz"]] if isinstance(source, dict) else []


def experiment_files(name):
    return expand(f"{OUT}/{{exp}}/{name}", exp=IDS)

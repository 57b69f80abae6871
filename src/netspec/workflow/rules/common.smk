# Parse time: validate the config, then compile every spec (pure Python, no TensorFlow).
# One bad spec stops the run here, before any job starts, listing every problem.
# NETSPEC_VERSION is a param of the TF-free stages: upgrading netspec redraws plots and report.
import gc
import json
import os
import shlex
import sys

from snakemake.exceptions import IncompleteCheckpointException
from snakemake.utils import validate

from netspec import __version__ as NETSPEC_VERSION
from netspec import layout
from netspec.workflow import quiet_scheduler, study_record
from netspec.config import coerce_numbers, config_problems, folder_problems, plot_problems
from netspec.data.kinds import DataSource
from netspec.errors import SpecError, plural
from netspec.spec.resources import PACK_GROUP, job_resources, packed
from netspec.spec.budget import Budget
from netspec.spec.experiment import RUN_ID_PATTERN
from netspec.spec.study import load_study, shown
from netspec.halving import read_decision, searches

CONFIG_SCHEMA = workflow.source_path("../../schemas/config.schema.json")
with open(CONFIG_SCHEMA, encoding="utf-8") as handle:
    config_schema = json.load(handle)
config.update(coerce_numbers(config, config_schema))
if config_problems(config, config_schema):  # said as netspec says a spec's problems
    raise WorkflowError("\n".join(config_problems(config, config_schema)))
validate(config, CONFIG_SCHEMA)  # and the defaults filled in
if folder_problems(config, os.getcwd()) or plot_problems(config):
    raise WorkflowError("\n".join(folder_problems(config, os.getcwd()) + plot_problems(config)))

quiet_scheduler(workflow, config["terminal"])

# Jobs run the Python that runs Snakemake (on a cluster node too: the job re-parses this file).
PYTHON = shlex.quote(sys.executable)
SPECS = config["specs"]
OUT = config["outputs"].rstrip("/")
TITLE = config["title"] or layout.default_title(SPECS)

wildcard_constraints:
    exp=RUN_ID_PATTERN.pattern,
    dataset="[a-z0-9_-]+",


try:
    EXPERIMENTS = load_study(
        SPECS, cache=".snakemake/netspec/specs.json", budget=Budget(**config["budget"])
    )
except SpecError as error:
    raise WorkflowError(
        f"{plural(len(error.problems), 'problem')} in the specs; nothing was run:\n{error}"
    ) from None
SEARCHES = searches(EXPERIMENTS)  # halving sweeps: their rung runs are planned rung by rung
# the rest, sorted by id (a halving point's confirmation runs wait for its last rung: shown_runs)
IDS = [n for n, e in EXPERIMENTS.items() if e.rung is None and not e.confirms]
if not EXPERIMENTS:
    raise WorkflowError(
        f"no experiments in {SPECS}/ (add a spec: netspec new NAME --from ...)"
    )

# Each prepared dataset's source as the specs wrote it (a name or {"npz": ...}): a params value
# compared by repr, so it must stay plain data.
DATASETS = {e.dataset_key: e.spec["data"]["dataset"] for e in EXPERIMENTS.values()}
RESOURCES = {
    name: job_resources(e, config["resources"]) for name, e in EXPERIMENTS.items()
}
# On a cluster, the runs small enough to share an allocation (config `pack`, profiles/slurm).
PACKED = {name: packed(r, config["pack"]) for name, r in RESOURCES.items()}

# All that is alive now (Snakemake's modules, the compiled study) lives as long as the plan:
# frozen, the garbage collector's full passes stop re-walking it while Snakemake builds the job
# graph (bench/README.md, figure 3). Jobs run in their own processes and are not affected.
gc.freeze()

# The outputs folder names its study, so `netspec status OUTPUTS` and `netspec results OUTPUTS`
# find its specs and title without being told: the study Snakefile's onstart writes this record
# (netspec.workflow.started), so a dry run, --unlock or --lint writes nothing.
study_record(layout.study_record(SPECS, OUT, TITLE, config, IDS))


def per_experiment(values):
    """A setting that varies by experiment: {experiment: value} -> a function of the job's
    wildcards, or the value itself when every experiment has the same one (Snakemake calls a
    function once per job and per setting, which adds up in a study of thousands)."""
    distinct = set(values.values())
    if len(distinct) == 1:
        return distinct.pop()
    return lambda wildcards: values[wildcards.exp]


def resource(key):
    return per_experiment({name: r[key] for name, r in RESOURCES.items()})


def packing():
    """Whether this invocation packs runs (the SLURM profile's settings, all three): its
    `group-components` for the group, and the group's `pack` resource limited to 1 per group
    (`resources: [pack=1]`, local-scoped), so Snakemake asks for the runs one after another.
    A `--resources` or `--set-resource-scopes` on the command line replaces the profile's: then
    nothing packs (a group sized side by side would get one run's time for four), and it says so
    once. Inside a submitted job the group stays as the submitting Snakemake made it."""
    if workflow.remote_exec:
        return True
    if workflow.group_settings.group_components.get(PACK_GROUP, 1) < 2:
        return False
    limit = workflow.global_resources.get(PACK_GROUP)
    if limit is not None and limit.value == 1 and workflow.resource_scopes.is_local(PACK_GROUP):
        return True
    if not _PACK_WARNED:
        _PACK_WARNED.append(True)
        print(
            f"netspec: runs are not packed: --group-components {PACK_GROUP}=N needs "
            f"--resources {PACK_GROUP}=1 and --set-resource-scopes {PACK_GROUP}=local too (a "
            "--resources or --set-resource-scopes on the command line replaces the profile's: "
            "repeat its values beside yours)",
            file=sys.stderr,
        )
    return False


_PACK_WARNED = []


def pack_group(wildcards):
    """A packed run's Snakemake group where this invocation packs (packing()), else None:
    Snakemake uses groups only when it submits jobs, but would show them in any dry run."""
    return PACK_GROUP if PACKED[wildcards.exp] and packing() else None


def pack_slot(wildcards):
    """1 for a run in the pack group (the resource the profile limits to 1 per group), else 0;
    the job's `--pack` says the same to the job."""
    return int(pack_group(wildcards) is not None)


def memory_mb(wildcards, attempt):
    """The estimated peak memory of the training job, times the attempt: x2 on the first retry."""
    return RESOURCES[wildcards.exp]["mem_mb"] * attempt


def digest_param(wildcards):
    """The run's digest, plus the time of its last recorded failure (netspec.train.failure): a
    new failure changes the param, so the next plan retries the run; a success keeps it."""
    try:
        with open(layout.run_file(OUT, wildcards.exp, layout.LAST_FAILURE), encoding="utf-8") as handle:
            mark = f":retry-{int(json.load(handle)['at'])}"
    except (OSError, ValueError, KeyError, TypeError):
        mark = ""
    return f"{EXPERIMENTS[wildcards.exp].digest}{mark}"


def data_source_file(wildcards):
    return DataSource.of(DATASETS[wildcards.dataset]).files


def entering(sweep, rung):
    """The points of a halving sweep that train at `rung`: all at rung 0, then those the previous
    rung's decision (a checkpoint: netspec.halving) promoted."""
    search = SEARCHES[sweep]
    if rung == 0:
        return list(search.points)
    return read_decision(checkpoints.rung.get(sweep=sweep, rung=rung - 1).output[0])["promoted"]


def decisions(sweep):
    """Each rung's decision file of a halving sweep, as far as its points got: every rung's,
    unless a rung promoted none (they all failed)."""
    files = []
    for rung in range(SEARCHES[sweep].last + 1):
        if rung and not entering(sweep, rung):
            break
        files.append(f"{OUT}/{layout.HALVING}/{sweep}/rung-{rung}.json")
    return files


HALVING_RUN_PATTERN = RUN_ID_PATTERN.pattern + r"\.r[0-9]+"


def previous_rung_state(run):
    """The state a halving run continues from: its previous rung's, kept (none at rung 0)."""
    experiment = EXPERIMENTS[run]
    if not experiment.rung:
        return []
    search = SEARCHES[experiment.spec_id]
    return f"{OUT}/{search.run_at(experiment.run_id, experiment.rung - 1)}/{layout.RUNG_PROGRESS}"


def reached(sweep):
    """Each point of a halving sweep -> the last rung it entered (where it was pruned, or
    finished)."""
    last = {}
    for rung in range(SEARCHES[sweep].last + 1):
        points = entering(sweep, rung)
        if not points:
            break
        last.update((point, rung) for point in points)
    return last


def left_search():
    """Rung runs trained earlier that the decisions now take no point to (more points, another
    max_epochs): their files are kept and the report says so. A params function."""
    found = []
    try:
        for sweep, search in SEARCHES.items():
            last = reached(sweep)
            found += [
                search.run_at(run, rung)
                for point in search.points
                for run in search.runs[point]
                for rung in range(last[point] + 1, search.last + 1)
                if os.path.exists(f"{OUT}/{search.run_at(run, rung)}/{layout.METRICS}")
            ]
            found += [  # confirmation runs of points that no longer reach the last rung
                run
                for point in search.points
                if last[point] < search.last
                for run in search.confirm.get(point, ())
                if os.path.exists(f"{OUT}/{run}/{layout.METRICS}")
            ]
    except IncompleteCheckpointException:
        pass
    return found


def shown_runs():
    """The runs the study shows: every run outside halving, and each halving run at the last
    rung its point entered (where it was pruned, or finished)."""
    runs = list(IDS)
    for sweep, search in SEARCHES.items():
        last = reached(sweep)
        runs += [search.run_at(run, last[p]) for p in search.points for run in search.runs[p]]
        # confirmation runs (sweep.halving.confirm): the points that entered the last rung
        runs += [
            run for p in search.points if last[p] == search.last for run in search.confirm.get(p, ())
        ]
    return runs


def shown_now():
    """shown_runs() for a params function: params that derive from a job's input are left out
    of Snakemake's params trigger, so these are computed afresh; while a checkpoint is still
    undecided (the job cannot run yet) they are the runs known so far."""
    try:
        return shown_runs()
    except IncompleteCheckpointException:
        return [run for run in IDS]


def shown_files(name):
    """outputs/RUN/NAME for every run the study shows (an input function: halving's runs are
    known once their rungs are decided)."""
    if not SEARCHES:
        return experiment_files(name)
    return lambda wildcards: [f"{OUT}/{run}/{name}" for run in shown_runs()]


def experiment_files(name):
    """outputs/EXP/NAME for every experiment (a comprehension: cheaper than expand() at 1,000)."""
    return [f"{OUT}/{exp}/{name}" for exp in IDS]


def study_file(name):
    """outputs/NAME, for a study-wide file of netspec.layout."""
    return f"{OUT}/{name}"

# Staleness: the spec is not an input. The digest of its canonical form (resolved, lowered,
# prose left out) is a param, so Snakemake's params trigger retrains exactly the experiments
# whose meaning changed; touching or re-wording a spec retrains nothing.
# The job is the command `python -m netspec.train` (run it by hand the same way); it ends by
# writing metrics.json, computed in numpy from the test-set predictions it just made. It appends
# to its log itself (a resumed or retried run keeps the earlier lines) and prints a start and a
# summary line, which Snakemake shows in the terminal.
# Declared outputs are the files later jobs read. The job also writes model.keras and
# predictions.npz beside them (first, so metrics.json, written last, vouches for all five), but
# Snakemake does not track them: every declared output adds to the cost of every plan
# (bench/README.md, figure 3). Deleting one of them retrains nothing; deleting metrics.json or
# `--forcerun train` does.
rule train:
    input:
        data=per_experiment({n: study_file(layout.data_file(e.dataset_key)) for n, e in EXPERIMENTS.items()}),
    output:
        history=f"{OUT}/{{exp}}/{layout.HISTORY}",
        run=f"{OUT}/{{exp}}/{layout.RUN}",
        metrics=f"{OUT}/{{exp}}/{layout.METRICS}",
    log:
        f"{OUT}/{{exp}}/{layout.TRAIN_LOG}",
    threads: resource("threads")
    group:
        pack_group
    resources:
        # threads become sbatch's --cpus-per-task; spelled out so `snakemake -n` shows them
        cpus_per_task=resource("threads"),
        mem_mb=memory_mb,
        runtime=resource("runtime"),
        gpu=resource("gpu"),
        # 1 for a packed run: the SLURM profile allows one at a time per group (a local-scoped
        # resource), so Snakemake sizes a group as its runs one after another; the job then
        # trains in its allocation's pack worker (netspec.train.workers), where there is one
        pack=pack_slot,
    params:
        digest=digest_param,
        # the run's spec file: SPECS/EXP.json, or the file of its seeds or its sweep
        spec=per_experiment({n: e.spec_id for n, e in EXPERIMENTS.items()}),
    shell:
        f"{PYTHON} -m netspec.train {shlex.quote(SPECS)}/{{params.spec}}.json {{input.data:q}}"
        f" {shlex.quote(OUT)}/{{wildcards.exp}}"
        " {threads} --run {wildcards.exp} --digest {params.digest} --log {log:q}"
        " --pack {resources.pack}"
        + (" --shared" if config["shared_workers"] else "")


# A halving sweep's run at a rung (RUN.rR): the same job, which also keeps its state after its
# last epoch (RUN.rR/state/) for the next rung, and, past rung 0, continues from the state its
# previous rung kept (netspec.halving).
use rule train as train_rung with:
    input:
        data=per_experiment({n: study_file(layout.data_file(e.dataset_key)) for n, e in EXPERIMENTS.items()}),
        after=lambda w: previous_rung_state(w.exp),
    output:
        history=f"{OUT}/{{exp}}/{layout.HISTORY}",
        run=f"{OUT}/{{exp}}/{layout.RUN}",
        metrics=f"{OUT}/{{exp}}/{layout.METRICS}",
        state=f"{OUT}/{{exp}}/{layout.RUNG_PROGRESS}",
    wildcard_constraints:
        exp=HALVING_RUN_PATTERN,


ruleorder: train_rung > train

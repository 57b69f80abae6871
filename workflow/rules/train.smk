# Staleness: the spec is not an input. The digest of its canonical form (resolved, lowered,
# prose left out) is a param, so Snakemake's params trigger retrains exactly the experiments
# whose meaning changed; touching or re-wording a spec retrains nothing.
# The job is the command `python -m netspec.training` (run it by hand the same way); it ends with
# the history step, metrics.json, computed in numpy from the predictions it just made.
rule train:
    input:
        data=per_experiment({n: f"{OUT}/data/{e.dataset_key}.npz" for n, e in EXPERIMENTS.items()}),
    output:
        model=f"{OUT}/{{exp}}/model.keras",
        history=f"{OUT}/{{exp}}/history.json",
        predictions=f"{OUT}/{{exp}}/predictions.npz",
        run=f"{OUT}/{{exp}}/run.json",
        metrics=f"{OUT}/{{exp}}/metrics.json",
    log:
        f"{OUT}/{{exp}}/train.log",
    threads: resource("threads")
    resources:
        # threads become sbatch's --cpus-per-task; spelled out so `snakemake -n` shows them
        cpus_per_task=resource("threads"),
        mem_mb=memory_mb,
        runtime=resource("runtime"),
        gpu=resource("gpu"),
    params:
        spec=f"{SPECS}/{{exp}}.json",
        digest=lambda wildcards: EXPERIMENTS[wildcards.exp].digest,
    shell:
        f"{PYTHON} -m netspec.training {{params.spec:q}} {{input.data:q}} {shlex.quote(OUT)}/{{wildcards.exp}}"
        " {threads} --digest {params.digest} > {log:q} 2>&1"

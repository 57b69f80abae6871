# Staleness: the spec is not an input. The digest of its canonical form (resolved, lowered,
# prose left out) is a param, so Snakemake's params trigger retrains exactly the experiments
# whose meaning changed; touching or re-wording a spec retrains nothing.
rule train:
    input:
        data=data_file,
    output:
        model=f"{OUT}/{{exp}}/model.keras",
        history=f"{OUT}/{{exp}}/history.json",
        predictions=f"{OUT}/{{exp}}/predictions.npz",
        run=f"{OUT}/{{exp}}/run.json",
    log:
        f"{OUT}/{{exp}}/train.log",
    benchmark:
        f"{OUT}/benchmarks/train/{{exp}}.tsv"
    threads: lambda wildcards: RESOURCES[wildcards.exp]["threads"]
    resources:
        # threads become sbatch's --cpus-per-task; spelled out so `snakemake -n` shows them
        cpus_per_task=lambda wildcards: RESOURCES[wildcards.exp]["threads"],
        mem_mb=lambda wildcards, attempt: RESOURCES[wildcards.exp]["mem_mb"] * attempt,
        runtime=lambda wildcards: RESOURCES[wildcards.exp]["runtime"],
        gpu=lambda wildcards: RESOURCES[wildcards.exp]["gpu"],
    params:
        spec=lambda wildcards: str(EXPERIMENTS[wildcards.exp].file),
        digest=lambda wildcards: EXPERIMENTS[wildcards.exp].digest,
    script:
        "../scripts/train.py"

rule data:
    input:
        data_source_file,
    output:
        f"{OUT}/data/{{dataset}}.npz",
    log:
        f"{OUT}/logs/data/{{dataset}}.log",
    benchmark:
        f"{OUT}/benchmarks/data/{{dataset}}.tsv"
    params:
        source=lambda wildcards: DATASETS[wildcards.dataset],
    script:
        "../scripts/data.py"

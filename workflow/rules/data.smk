rule data:
    input:
        data_source_file,
    output:
        f"{OUT}/data/{{dataset}}.npz",
    params:
        source=lambda wildcards: DATASETS[wildcards.dataset],
    log:
        f"{OUT}/logs/data/{{dataset}}.log",
    script:
        "../scripts/data.py"

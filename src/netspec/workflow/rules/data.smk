rule data:
    input:
        data_source_file,
    output:
        study_file(layout.data_file("{dataset}")),
    log:
        f"{OUT}/logs/data/{{dataset}}.log",
    benchmark:
        f"{OUT}/benchmarks/data/{{dataset}}.tsv"
    params:
        source=lambda wildcards: DATASETS[wildcards.dataset],
    script:
        "../scripts/data.py"

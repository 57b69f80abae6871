rule history:
    input:
        history=f"{OUT}/{{exp}}/history.json",
        predictions=f"{OUT}/{{exp}}/predictions.npz",
        run=f"{OUT}/{{exp}}/run.json",
    output:
        f"{OUT}/{{exp}}/metrics.json",
    log:
        f"{OUT}/logs/history/{{exp}}.log",
    benchmark:
        f"{OUT}/benchmarks/history/{{exp}}.tsv"
    params:
        netspec=NETSPEC_VERSION,
    script:
        "../scripts/history.py"

rule report:
    input:
        metrics=experiment_files("metrics.json"),
        runs=experiment_files("run.json"),
        curves=experiment_files("curves.png"),
        comparison=f"{OUT}/plots/comparison.png",
        bars=f"{OUT}/plots/accuracy.png",
    output:
        html=f"{OUT}/report/index.html",
        csv=f"{OUT}/report/results.csv",
    log:
        f"{OUT}/logs/report.log",
    benchmark:
        f"{OUT}/benchmarks/report.tsv"
    params:
        netspec=NETSPEC_VERSION,
        infos=lambda wildcards: [describe(EXPERIMENTS[name]) for name in IDS],
        title=config["title"],
    script:
        "../scripts/report.py"

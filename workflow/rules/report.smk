rule report:
    input:
        metrics=experiment_files("metrics.json"),
        runs=experiment_files("run.json"),
        curves=f"{OUT}/plots/curves",
        comparison=f"{OUT}/plots/comparison.png",
        bars=f"{OUT}/plots/accuracy.png",
        sweeps=f"{OUT}/plots/sweeps",
    output:
        html=report(
            f"{OUT}/report/index.html",
            caption="../report/page.rst",
            category="Study",
            labels={"figure": "study page"},
        ),
        csv=report(
            f"{OUT}/report/results.csv",
            caption="../report/results.rst",
            category="Study",
            labels={"figure": "leaderboard"},
        ),
    log:
        f"{OUT}/logs/report.log",
    benchmark:
        f"{OUT}/benchmarks/report.tsv"
    params:
        netspec=NETSPEC_VERSION,
        specs=SPECS,
        ids=IDS,
        # What the report shows of each spec, as compared between runs (describe() itself runs
        # in the job: at parse time every plan would pay for it, once per spec).
        shown=lambda wildcards: {name: shown(EXPERIMENTS[name]) for name in IDS},
        # a function: Snakemake would read braces in a plain string as wildcards
        title=lambda wildcards: config["title"],
    script:
        "../scripts/report.py"

rule report:
    input:
        metrics=experiment_files(layout.METRICS),
        runs=experiment_files(layout.RUN),
        curves=study_file(layout.CURVES),
        comparison=study_file(layout.COMPARISON),
        bars=study_file(layout.ACCURACY),
        sweeps=study_file(layout.SWEEPS),
    output:
        html=report(
            study_file(layout.REPORT_PAGE),
            caption="../report/page.rst",
            category="Study",
            labels={"figure": "study page"},
        ),
        csv=report(
            study_file(layout.RESULTS_CSV),
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
        ids=IDS,
        # What the page shows of each spec beyond what trained (run.json records that): its
        # description now, and what else re-renders the page when it changes.
        shown=lambda wildcards: {name: shown(EXPERIMENTS[name]) for name in IDS},
        # a function: Snakemake would read braces in a plain string as wildcards
        title=lambda wildcards: TITLE,
        verdict=config["verdict"],
    script:
        "../scripts/report.py"

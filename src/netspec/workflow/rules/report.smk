rule report:
    input:
        metrics=shown_files(layout.METRICS),
        runs=shown_files(layout.RUN),
        # each halving sweep's decisions: who was pruned at which rung
        decisions=lambda wildcards: [file for sweep in SEARCHES for file in decisions(sweep)],
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
        ids=lambda wildcards: shown_now(),
        # What the page shows of each spec beyond what trained (run.json records that): its
        # description now, and what else re-renders the page when it changes.
        shown=lambda wildcards: {n: shown(EXPERIMENTS[n]) for n in shown_now()},
        # a function: Snakemake would read braces in a plain string as wildcards
        title=lambda wildcards: TITLE,
        verdict=config["verdict"],
        # halving runs trained earlier that no decision takes a point to now: kept, and said
        left=lambda wildcards: left_search(),
    script:
        "../scripts/report.py"

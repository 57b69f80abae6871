# One TF-free job draws every figure: each experiment's learning curves, the study's comparison
# and leaderboard. A curve whose history, title and settings are unchanged is copied from a
# content-keyed cache (outputs/.cache/curves/), so a one-spec change redraws one curve.
# The curves are one directory, not N outputs: Snakemake's bookkeeping for a job with N listed
# files grows as N squared once another job consumes them (bench/README.md, figure 3).
# Its only inputs are the histories: the leaderboard ranks by the best validation accuracy, which
# is in the history. One input per experiment instead of two: fewer files for every plan to check.
rule plots:
    input:
        histories=shown_files(layout.HISTORY),
    output:
        curves=report(
            directory(study_file(layout.CURVES)),
            patterns=["{experiment}.png"],
            caption="../report/curves.rst",
            category="Learning curves",
            labels={"experiment": "{experiment}"},
        ),
        comparison=report(
            study_file(layout.COMPARISON),
            caption="../report/comparison.rst",
            category="Study",
        ),
        bars=report(
            study_file(layout.ACCURACY),
            caption="../report/accuracy.rst",
            category="Study",
        ),
        # one figure per sweep (a spec with `sweep`); empty in a study without one
        sweeps=directory(study_file(layout.SWEEPS)),
    log:
        f"{OUT}/logs/plots.log",
    threads: len(os.sched_getaffinity(0))  # curves drawn in parallel; Snakemake caps at --cores
    benchmark:
        f"{OUT}/benchmarks/plots.tsv"
    params:
        netspec=NETSPEC_VERSION,
        names=lambda wildcards: shown_now(),
        descriptions=lambda wildcards: [
            EXPERIMENTS[n].spec.get("description", "") for n in shown_now()
        ],
        # each run's variant, for the leaderboard figure's mean ± sd over seeds
        variants=lambda wildcards: [
            EXPERIMENTS[n].variant_id for n in shown_now()
        ],
        # each sweep point's sweep and values, for the sweep figures
        points=lambda wildcards: {
            n: [EXPERIMENTS[n].spec_id, EXPERIMENTS[n].point]
            for n in shown_now()
            if EXPERIMENTS[n].point
        },
        # each halving run's rung (the last its point reached) and its search's rung epochs
        rungs=lambda wildcards: {
            n: [EXPERIMENTS[n].rung, list(SEARCHES[EXPERIMENTS[n].spec_id].epochs)]
            for n in shown_now()
            if EXPERIMENTS[n].rung is not None
        },
        settings=config["plots"],
        cache=f"{OUT}/.cache/curves",
    script:
        "../scripts/plots.py"

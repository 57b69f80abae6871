rule curves:
    input:
        f"{OUT}/{{exp}}/history.json",
    output:
        report(
            f"{OUT}/{{exp}}/curves.png",
            caption="../report/curves.rst",
            category="Learning curves",
            labels={"experiment": "{exp}"},
        ),
    log:
        f"{OUT}/logs/curves/{{exp}}.log",
    benchmark:
        f"{OUT}/benchmarks/curves/{{exp}}.tsv"
    params:
        netspec=NETSPEC_VERSION,
        settings=config["plots"],
        title=lambda wildcards: f"{wildcards.exp}: {EXPERIMENTS[wildcards.exp].spec.get('description', '')}",
    script:
        "../scripts/curves.py"


rule study_plots:
    input:
        histories=experiment_files("history.json"),
        metrics=experiment_files("metrics.json"),
    output:
        comparison=report(
            f"{OUT}/plots/comparison.png",
            caption="../report/comparison.rst",
            category="Study",
        ),
        bars=report(
            f"{OUT}/plots/accuracy.png",
            caption="../report/accuracy.rst",
            category="Study",
        ),
    log:
        f"{OUT}/logs/study_plots.log",
    benchmark:
        f"{OUT}/benchmarks/study_plots.tsv"
    params:
        netspec=NETSPEC_VERSION,
        names=IDS,
        settings=config["plots"],
    script:
        "../scripts/study_plots.py"

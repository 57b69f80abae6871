# Successive halving (a sweep with `halving`; netspec.halving). Rung r's runs (RUN.rR) are the
# train_rung jobs of the points that entered it; its decision is a checkpoint, so the next
# rung's jobs are planned from the decision's file, which depends on the rung's metrics alone.
# A rung run's kept state (RUN.rR/state/) is the next rung's declared input: a promoted point
# continues from it and trains no epoch twice.
checkpoint rung:
    input:
        metrics=lambda w: [
            f"{OUT}/{run}/{layout.METRICS}"
            for run in SEARCHES[w.sweep].runs_at(entering(w.sweep, int(w.rung)), int(w.rung))
        ],
    output:
        f"{OUT}/{layout.HALVING}/{{sweep}}/rung-{{rung}}.json",
    log:
        f"{OUT}/logs/halving/{{sweep}}-rung-{{rung}}.log",
    params:
        netspec=NETSPEC_VERSION,
        search=lambda w: SEARCHES[w.sweep],
        entering=lambda w: entering(w.sweep, int(w.rung)),
        epochs=lambda w: SEARCHES[w.sweep].epochs[int(w.rung)],
        eta=lambda w: SEARCHES[w.sweep].eta,
        # every rung's epochs: a new last rung (a higher max_epochs) makes this one promote
        rungs=lambda w: list(SEARCHES[w.sweep].epochs),
    wildcard_constraints:
        rung="[0-9]+",
    script:
        "../scripts/rung.py"

"""Shared training workers: small runs pay TensorFlow's start-up once per worker, not per run.

A training job with `--shared` is a thin client (no TensorFlow: `client`): it claims an idle
worker of its kind (threads and determinism, which a process sets once, and its code: `kinds`)
by locking the worker's lock file, sends it the job's arguments over a Unix socket (`wire`),
relays the lines meant for the terminal, and exits with the job's status. Where no worker is
idle it starts one, detached, and claims it before anyone else can. A worker (`server`) runs
one job at a time, resets Keras and the seeds for each, and exits after IDLE_S without work. If
a worker dies mid-run its client fails (Snakemake retries it; the run resumes from its last
epoch); the worker also ends at once when its client goes away, as a killed job would.
Snakemake still sees one job per run. Their folder and files (`place`) are guarded as a
service's on a shared machine are.
"""

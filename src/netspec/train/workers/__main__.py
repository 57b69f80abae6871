"""`python -m netspec.train.workers SOCKET THREADS KEY [--warm]`: a shared worker, started by a
client (`client`); `python -m netspec.train.workers --pack`: an allocation's pack worker, the
precommand of profiles/slurm."""

import os
import sys

from netspec.train.workers.server import pack_worker, serve

if sys.argv[1:] == ["--pack"]:
    pack_worker()
else:
    serve(sys.argv[1], int(sys.argv[2]), sys.argv[3], warm=sys.argv[4:] == ["--warm"])
sys.stdout.flush()
os._exit(0)

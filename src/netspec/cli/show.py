"""`netspec show`: what a spec resolves and compiles to: its layers, size, memory, cost and runs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from netspec.cli.specs import print_halving
from netspec.errors import plural
from netspec.spec.compile import compile_variants
from netspec.spec.defaults import with_defaults
from netspec.spec.experiment import expand, is_base
from netspec.spec.hardware import precision_note
from netspec.spec.inference import table
from netspec.spec.loading import resolve
from netspec.spec.resources import estimate_mem_mb, training_flops


def show(args: argparse.Namespace) -> int:
    if is_base(args.spec):
        return _show_base(args.spec)
    variants = compile_variants(args.spec)
    first = variants[0]
    chain = " <- ".join(map(str, first.chain))
    if first.point:
        print(f"# {first.spec_id}: a sweep of {plural(len(variants), 'point')}  ({chain})")
        print(json.dumps(with_defaults(resolve(args.spec).data)["sweep"], indent=2))
        print(f"\n## its first point, {first.id}")
    else:
        print(f"# {first.id}  ({chain})")
    print(json.dumps(first.spec, indent=2))
    print(
        f"\ndataset {first.dataset.name}: input {first.dataset.input_shape}, "
        f"{first.dataset.num_classes} classes"
    )
    print(table(first.summary))
    note = precision_note(first.spec["training"]["precision"])
    if note:
        print(f"precision {first.spec['training']['precision']}: {note}")
    own = first.spec.get("resources", {})
    print(
        f"resources: {json.dumps(own) if own else 'config defaults'}; estimated memory "
        f"{estimate_mem_mb(first)} MB (the default mem_mb of its training job)"
    )
    runs = [run for variant in variants for run in expand(variant)]
    if first.point:
        params = sorted(variant.summary.params for variant in variants)
        memory = max(estimate_mem_mb(variant) for variant in variants)
        per = "per point" if runs[0].rung is None else "per point: its seeds at each rung"
        print(
            f"\nsweep: {plural(len(variants), 'point')}, {plural(len(runs), 'run')} "
            f"({len(runs) // len(variants)} {per}); {params[0]:,} to {params[-1]:,} "
            f"parameters per point; memory up to {memory} MB per job"
        )
        print_halving(runs)
    elif len(runs) > 1:
        shown = ", ".join(f"{run.id} (digest {run.digest[:16]})" for run in runs)
        print(f"{len(runs)} runs, one per seed: {shown}")
    else:
        print(f"digest {first.digest[:16]}")
    if runs[0].halving:
        print(f"estimated training cost: {_halving_flops(runs)}")
        return 0
    flops = sum(training_flops(run) for run in runs)
    print(
        f"estimated training cost: {_flops(flops)} in all, {_flops(flops / len(runs))} per run "
        "(3 x forward FLOPs x training samples x epochs; early stopping can only cut it)"
    )
    return 0


def _halving_flops(runs) -> str:
    """A halving search's cost: at most its most epochs (and its confirmation's), each at the
    cost of an epoch of its largest point."""
    from netspec.halving import searches
    from netspec.spec.sweep import promoted as _promoted

    (search,) = searches({run.id: run for run in runs}).values()
    per_epoch = max(training_flops(run) / run.spec["training"]["epochs"] for run in runs)
    epochs = search.most_epochs()
    if search.confirm:
        last = len(search.points)
        for _ in search.epochs[1:]:
            last = _promoted(last, search.eta)
        epochs += last * len(next(iter(search.confirm.values()))) * search.epochs[-1]
    return (
        f"at most {_flops(per_epoch * epochs)} ({epochs:,} epochs at most, each at most "
        f"{_flops(per_epoch)}: the largest point's; 3 x forward FLOPs x training samples)"
    )


def _show_base(path: Path) -> int:
    """A base is not an experiment (nothing trains it): its resolved content, and whether what
    it says is valid."""
    from netspec.spec.discovery import check_base

    print(f"# {path}: a base (its name starts with '_'): specs extend it; it is not trained")
    print(json.dumps(resolve(path).data, indent=2))
    problems = check_base(path)
    for problem in problems:
        print(problem, file=sys.stderr)
    print("what it says is valid" if not problems else f"{plural(len(problems), 'problem')}")
    return 1 if problems else 0


def _flops(value: float) -> str:
    for unit, scale in (("PFLOP", 1e15), ("TFLOP", 1e12), ("GFLOP", 1e9), ("MFLOP", 1e6)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value:.3g} FLOP"

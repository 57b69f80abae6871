"""The study page (netspec.results.report) from run folders written here: every kind of run it
shows (scored, failed, diverged, extending a base, on SLURM, from a changed checkout), and every
name a study chose shown as text, never markup."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import numpy as np
import pytest

from netspec import layout
from netspec.results.report import write_report
from netspec.results.study import study_at
from netspec.results.verdict import pack

HOSTILE = "<script>alert(1)</script>"
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a3c0a3a50000000049454e44ae426082"
)


def _run(outputs, name, *, variant, seed, accuracy, extra_metrics=(), extra_record=()):
    folder = outputs / name
    folder.mkdir(parents=True)
    correct = np.zeros(40, bool)
    correct[: round(accuracy * 40)] = True
    metrics = {
        "experiment": name,
        "diverged": False,
        "epochs_run": 3,
        "selected_epoch": 2,
        "selected_by": "val_accuracy",
        "selected_val_accuracy": accuracy,
        "test_accuracy": accuracy,
        "test_loss": 0.5,
        "test_correct": pack(correct),
        "test_images": 40,
        "validation": 0.2,
        "confusion_matrix": [[3, 1], [0, 4]],
        "per_class": [
            {"class": 0, "precision": 1.0, "recall": 0.75, "support": 4},
            {"class": 1, "precision": 0.8, "recall": 1.0, "support": 4},
        ],
        **dict(extra_metrics),
    }
    record = {
        "experiment": name,
        "variant": variant,
        "seed": seed,
        "chain": [f"specs/{variant}.json"],
        "description": f"the variant {variant}",
        "spec": {"model": {"units": 8}, "note": "</pre><b>bold</b>"},
        "digest": "ab" * 32,
        "params": 1234,
        "base": None,
        "changes": [],
        "code": {"commit": "0123456789abcdef", "dirty": False},
        "samples": {"train": 100, "validation": 20, "test": 40},
        "threads": 1,
        "slurm": None,
        "host": "vm",
        "started": "2026-12-07T09:00:00+00:00",
        "wall_time_s": 1.25,
        "versions": {"python": "3.11.7", "keras": "3.15.1"},
        **dict(extra_record),
    }
    (folder / layout.METRICS).write_text(json.dumps(metrics))
    (folder / layout.RUN).write_text(json.dumps(record))
    return name


@pytest.fixture
def page(tmp_path):
    outputs = tmp_path / "outputs"
    names = [
        _run(outputs, "base-s0", variant="base", seed=0, accuracy=0.5),
        _run(outputs, "base-s1", variant="base", seed=1, accuracy=0.5),
        _run(
            outputs,
            "wide-s0",
            variant="wide",
            seed=0,
            accuracy=0.95,
            extra_record={
                "description": HOSTILE,
                "chain": ["specs/wide.json", "specs/base.json"],
                "base": "base",
                "changes": [{"field": "model.units", "base": 8, "variant": 64}, {"field": "x"}],
                "code": {"commit": "fedcba9876543210", "dirty": True},
                "slurm": {"job_id": "4242"},
            },
        ),
        _run(outputs, "wide-s1", variant="wide", seed=1, accuracy=0.925),
        _run(
            outputs,
            "odd-s0",
            variant="odd",
            seed=0,
            accuracy=0.5,
            extra_metrics={"diverged": True, "selected_val_accuracy": None},
        ),
        _run(
            outputs,
            "broken-s0",
            variant="broken",
            seed=0,
            accuracy=0.5,
            extra_metrics={"failed": "ValueError: <b>no</b>", "selected_val_accuracy": None},
            extra_record={"code": None},
        ),
    ]
    plots = outputs / "plots"
    (plots / "curves").mkdir(parents=True)
    for path in [plots / "comparison.png", plots / "accuracy.png"]:
        path.write_bytes(TINY_PNG)
    for name in names:
        (plots / "curves" / f"{name}.png").write_bytes(TINY_PNG)
    study = study_at(outputs, names, title=f"A study {HOSTILE}")
    write_report(study, tmp_path / "report/index.html", tmp_path / "report/results.csv")
    return (tmp_path / "report/index.html").read_text()


class _Tags(HTMLParser):
    """The page's elements, and any element opened where the page did not write one."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


def test_every_name_a_study_chose_is_text_never_markup(page):
    assert "<script>alert" not in page and page.count("&lt;script&gt;alert(1)") >= 2
    assert "<b>bold</b>" not in page and "&lt;/pre&gt;&lt;b&gt;bold" in page  # in the spec
    assert "failed: ValueError: &lt;b&gt;no&lt;/b&gt;" in page
    tags = _Tags()
    tags.feed(page)
    assert tags.tags.count("script") == 1 and tags.tags.count("style") == 1  # the page's own
    assert 'th[data-order=ascending]:after{content:" \\25B2"' in page  # CSS left as written


def test_the_page_shows_each_kind_of_run(page):
    assert "<b>wide</b> is best" in page  # the verdict alone; its own markup kept
    assert "Variants, over their seeds" in page and "2 of 2" in page
    assert "0.5000 ± 0<br><span class='muted'>(the seeds agree)</span>" in page  # base's seeds
    assert "(diverged)" in page and "Failed: ValueError" in page
    assert "<p>Differences from <code>base</code> when this run trained:</p>" in page
    assert "<td><code>8</code></td><td><code>64</code></td>" in page
    assert '<span class="muted">unset</span>' in page  # a field the base does not set
    assert "A standalone spec (no <code>extends</code>)." in page
    assert "git <code>fedcba987654</code> with uncommitted changes" in page
    assert "git <code>0123456789ab</code>, clean" in page
    assert "not a git checkout (or trained before netspec recorded it)" in page
    assert "vm, 1 thread(s), SLURM job 4242" in page
    assert "specs/wide.json &lt;- specs/base.json" in page
    assert "epochs select their epoch" not in page  # held-out validation: no optimism warning
    assert "Epochs were selected on a validation set held out" in page
    assert "6 runs of 4 variants" in page
    # the confusion matrix's cells, shaded by their share of the true class
    assert '<td class="num" style="background:rgba(31,119,180,0.75);color:#fff">3</td>' in page
    assert page.count("<section id=") == 6


def test_the_leaderboard_ranks_and_highlights_the_winning_variant(page):
    rows = page.split("<h2>Leaderboard</h2>")[1].split("</tbody>")[0].split("<tr class=")[1:]
    first = [row.split('<a href="#')[1].split('"')[0] for row in rows]
    assert first[:4] == ["wide-s0", "wide-s1", "base-s0", "base-s1"]
    winners = [row.startswith('"winner"') for row in rows]
    assert winners == [True, True, False, False, False, False]
    assert '<td class="num">1,234</td>' in rows[0] and '<td class="num">1.2 s</td>' in rows[0]

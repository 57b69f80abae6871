"""Figures without TensorFlow: the curves cache, parallel drawing, readable study figures at scale."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from netspec.results import plots
from netspec.results.metrics import selected_val_accuracy
from netspec.results.study import Figures, Run


def _history(best: float, epochs: int = 4) -> dict:
    scores = [best * (i + 1) / epochs for i in range(epochs)]
    return {
        "epochs": list(range(1, epochs + 1)),
        "metrics": {
            "accuracy": scores,
            "val_accuracy": scores,
            "loss": [1 - s for s in scores],
            "val_loss": [1 - s for s in scores],
        },
        "epoch_time_s": [0.1] * epochs,
        "diverged": False,
    }


@pytest.fixture
def study(tmp_path):
    runs = []
    for index in range(25):
        run = Run(f"e{index:02d}", tmp_path / f"e{index:02d}", given={})
        run.folder.mkdir()
        run.history_file.write_text(json.dumps(_history(0.5 + index / 100)))
        runs.append(run)
    return tmp_path, runs


SMALL = {"dpi": 20, "width": 4, "height": 2}


def _figures(folder):
    return Figures(folder, folder / "comparison.png", folder / "accuracy.png")


def test_curves_are_drawn_once_and_the_cache_keeps_only_this_study(study):
    folder, runs = study
    args = (_figures(folder / "curves"), SMALL, folder / "cache")
    assert plots.draw_curves(runs[:3], *args) == (3, 0)
    first = (folder / "curves/e00.png").read_bytes()
    assert plots.draw_curves(runs[:3], *args) == (0, 3)
    assert (folder / "curves/e00.png").read_bytes() == first
    # A new title redraws that curve only; the cache drops the entry nobody uses any more.
    renamed = [replace(runs[0], description="renamed"), *runs[1:3]]
    assert plots.draw_curves(renamed, *args) == (1, 2)
    assert len(list((folder / "cache").iterdir())) == 3
    assert plots.draw_curves(renamed[:2], *args) == (0, 2)
    assert len(list((folder / "cache").iterdir())) == 2


def test_parallel_drawing_writes_the_same_files_as_serial(study):
    folder, runs = study
    plots.draw_curves(runs[:6], _figures(folder / "a"), SMALL, folder / "ca", 1)
    plots.draw_curves(runs[:6], _figures(folder / "b"), SMALL, folder / "cb", 2)
    for name in (run.id for run in runs[:6]):
        assert (folder / "a" / f"{name}.png").read_bytes() == (
            folder / "b" / f"{name}.png"
        ).read_bytes()


@pytest.fixture
def figures(monkeypatch):
    """The figures the plot functions draw, kept open for inspection instead of saved."""
    drawn = []
    monkeypatch.setattr(plots, "_save", lambda plt, fig, path, settings: drawn.append(fig))
    return drawn


def test_study_figures_name_the_best_past_a_readable_count(study, figures):
    _, runs = study
    names = [run.id for run in runs]
    histories = {run.id: run.history for run in runs}
    scores = {n: [(selected_val_accuracy(h), 0.1)] for n, h in histories.items()}
    plots.accuracy_bars(scores, "unused.png", SMALL)
    plots.comparison_plot(histories, "unused.png", SMALL)
    bars, comparison = figures
    labels = [t.get_text() for t in bars.axes[0].get_yticklabels()]
    assert labels == names[-plots.TOP :]  # the 20 best, best on top
    assert "the best 20 of 25" in bars.axes[0].get_title()
    legend = [t.get_text() for t in comparison.axes[1].get_legend().get_texts()]
    assert legend == ["15 others", *names[-plots.COLOURS :]]
    assert "the best 10 of 25" in comparison._suptitle.get_text()


def test_a_small_study_keeps_the_seed_layout(study, figures):
    _, runs = study
    names = [run.id for run in runs]
    histories = {run.id: run.history for run in runs[:5]}
    plots.comparison_plot(histories, "unused.png", SMALL)
    (comparison,) = figures
    assert [t.get_text() for t in comparison.axes[0].get_legend().get_texts()] == names[:5]
    assert comparison._suptitle.get_text() == "Validation curves across the study"


def test_the_leaderboard_figure_ranks_as_the_report_and_shows_the_spread(figures):
    scores = {
        "a": [(0.90, 0.3), (0.94, 0.3)],
        "b": [(0.95, 0.2), (0.95, 0.2), (None, None)],
        "c": [(0.95, 0.1), (0.95, 0.1)],  # ties b on accuracy: a tie, whatever the loss says
    }
    plots.accuracy_bars(scores, "unused.png", SMALL)
    (chart,) = figures
    axis = chart.axes[0]
    assert [t.get_text() for t in axis.get_yticklabels()] == ["a", "c", "b"]  # first on top
    texts = [t.get_text() for t in axis.texts]
    assert texts == ["0.9200 ± 0.0283 (n=2)", "0.9500 ± 0.0000 (n=2)", "0.9500 ± 0.0000 (n=2)"]
    assert "mean ± sd over seeds" in axis.get_xlabel() and "spans only" in axis.get_xlabel()
    assert "the top two tie on accuracy: a tie, listed by name" in axis.get_title()
    low, high = axis.get_xlim()
    assert low < 0.92 - 0.0283 and 0.95 < high <= 1.0  # every dot and error bar on the axis


def test_a_runs_colour_is_its_own_whatever_else_the_study_holds():
    from netspec.results.page import colour

    assert colour("cnn_dropout-s0", "cnn_dropout") == colour("cnn_dropout-s0", "cnn_dropout")
    assert len({colour(f"run{i}") for i in range(20)}) == 20
    # the seeds of one variant: one hue, three shades
    seeds = [colour(f"cnn_l2-s{s}", "cnn_l2") for s in range(3)]
    assert len(set(seeds)) == 3 and colour("cnn_l2", "cnn_l2") not in seeds
    assert all(len(colour(name)) == 7 and colour(name).startswith("#") for name in ("a", "b"))


def test_the_studys_variants_get_colours_a_reader_can_tell_apart():
    """A categorical palette, not hashed hues (which put two of five variants side by side):
    ten variants, ten colours far apart; the seeds of each a shade of their variant's."""
    import colorsys

    from netspec.results.page import PALETTE, colour, palette

    variants = ["naive", "cnn_batchnorm", "cnn_dropout", "cnn_l2", "cnn_optimal"]
    colours = palette(variants + [f"v{i}" for i in range(5)])
    assert sorted(colours.values()) == sorted(PALETTE)

    def rgb(text):
        return [int(text[i : i + 2], 16) / 255 for i in (1, 3, 5)]

    distances = [
        sum((x - y) ** 2 for x, y in zip(rgb(a), rgb(b), strict=True)) ** 0.5
        for i, a in enumerate(PALETTE)
        for b in PALETTE[i + 1 :]
    ]
    assert min(distances) > 0.25
    assert palette(variants)["cnn_batchnorm"] == PALETTE[0]  # by name: the same on every call
    for variant in variants:
        hue = colorsys.rgb_to_hls(*rgb(palette(variants)[variant]))[0]
        shades = [colour(f"{variant}-s{s}", variant, palette(variants)) for s in range(3)]
        assert len(set(shades)) == 3
        assert all(abs(colorsys.rgb_to_hls(*rgb(c))[0] - hue) < 0.02 for c in shades)


def _sweep_runs(folder, grid: dict, seeds=(0, 1)) -> list:
    """Runs of a sweep over `grid` (path -> values), a history each, scores set by the values."""
    import itertools

    runs = []
    for values in itertools.product(*grid.values()):
        point = dict(zip(grid, values, strict=True))
        for seed in seeds:
            name = "s-" + "-".join(map(str, values)) + f"-s{seed}"
            run = Run(name, folder / name, given={"sweep": "s", "point": point, "seed": seed})
            run.folder.mkdir(parents=True)
            score = 0.5 + 0.01 * len(name) % 0.4 + 0.01 * seed
            run.history_file.write_text(json.dumps(_history(score)))
            runs.append(run)
    return runs


@pytest.mark.parametrize(
    "grid",
    [
        {"optimizer.learning_rate": [0.1, 0.01, 0.001], "model.units": [4, 8]},
        # ten values of the other field: too many lines, so that panel shows the marginal
        {"optimizer.learning_rate": [0.1, 0.01], "model.units": list(range(1, 11))},
        {"model.batch_norm": [True, False], "optimizer.name": ["sgd", "adam"], "model.units": [4]},
        {"optimizer.learning_rate": [0.1, 0.01, 0.001]},
    ],
    ids=["3x2", "2x10", "three fields, categorical", "one field"],
)
def test_a_sweep_figure_has_a_panel_per_field_and_a_heatmap_for_two(tmp_path, grid):
    from netspec.results.sweeps import sweep_plots

    runs = _sweep_runs(tmp_path / "runs", grid)
    assert sweep_plots(tuple(runs), tmp_path / "sweeps", SMALL) == ["s"]
    from matplotlib.image import imread

    image = imread(tmp_path / "sweeps/s.png")
    panels = len(grid) + (len(grid) == 2)
    assert image.shape[1] >= panels * 4.2 * SMALL["dpi"] * 0.95  # a panel each, side by side


def test_a_sweep_heatmaps_scale_is_set_by_the_points_that_scored(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from netspec.results.sweeps import _heatmap

    grid = {"optimizer.learning_rate": [0.1, 0.01], "model.units": [4, 8]}
    runs = _sweep_runs(tmp_path / "runs", grid, seeds=(0,))
    diverged = runs[0]  # lr 0.1, 4 units: its loss became NaN, its last score near chance
    history = _history(0.1)
    history["diverged"] = True
    diverged.history_file.write_text(json.dumps(history))
    scored = [json.loads(r.history_file.read_text()) for r in runs[1:]]
    values = [max(h["metrics"]["val_accuracy"]) for h in scored]  # selected: the best epoch
    fig, axis = plt.subplots()
    _heatmap(fig, axis, runs, list(grid))
    assert axis.images[0].get_clim() == pytest.approx((min(values), max(values)))
    assert "none" in [text.get_text() for text in axis.texts]
    plt.close(fig)

"""The study page's look: a stylesheet that fits a phone, a few lines of script that sort a
table by a clicked column, shaded cells, and a stable colour per run (no network, no library)."""

from __future__ import annotations

import colorsys
import hashlib
import json
import re
from functools import cache

# Wide tables scroll inside their own box (display:block), never the page; long ids wrap.
STYLE = """
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;max-width:1400px;margin:1em auto;padding:0 .8em;color:#222;
line-height:1.45;overflow-wrap:anywhere}
h1{font-size:1.6em}h2{font-size:1.3em}h3{font-size:1.1em}
table{border-collapse:collapse;margin:1em 0;display:block;max-width:100%;overflow-x:auto;
overflow-wrap:normal}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;white-space:nowrap}
th{background:#f3f3f3}table.sortable th{cursor:pointer;user-select:none}
table.sortable th:after{content:" \\2195";color:#aaa;font-size:.8em}
table.sortable th[data-order=ascending]:after{content:" \\25B2";color:#444}
table.sortable th[data-order=descending]:after{content:" \\25BC";color:#444}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.winner{background:#eef8ee}.warning{background:#fff4e0;padding:.1em .3em}
img{max-width:100%;height:auto}code,pre{background:#f6f6f6}
pre{padding:.6em;overflow-x:auto;max-width:100%}.muted{color:#777}
section{border-top:1px solid #ddd;margin-top:2em}
.swatch{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:.3em}
"""

# Click a header of a `sortable` table: its rows sort by that column, numbers as numbers;
# a second click reverses. Cells may carry data-sort (the value to sort by).
SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var head = table.tHead.rows[0], body = table.tBodies[0];
  Array.prototype.forEach.call(head.cells, function (th, column) {
    th.addEventListener("click", function () {
      var ascending = th.getAttribute("data-order") !== "ascending";
      Array.prototype.forEach.call(head.cells, function (other) {
        other.removeAttribute("data-order");
      });
      th.setAttribute("data-order", ascending ? "ascending" : "descending");
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a.cells[column]), y = key(b.cells[column]);
        var order = x[0] - y[0] || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
function key(cell) {
  var text = (cell.getAttribute("data-sort") || cell.textContent).trim();
  var number = parseFloat(text.replace(/,/g, ""));
  return isNaN(number) ? [1, text.toLowerCase()] : [0, number];
}
"""


# A categorical palette (matplotlib's tab10, which Tableau designed to tell 10 series apart):
# the study's first 10 variants by name get one each; past 10, hues come from the ids.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
SEED_SHADES = (-0.1, 0.05, 0.18)  # lightness added per seed (the run id's `-sN`, modulo 3)


def palette(variants) -> dict[str, str]:
    """Each variant of the study its base colour: the palette in the order of the variants'
    names (the page and every figure call this with the same study), then hues from ids."""
    names = sorted(set(variants))
    return {name: PALETTE[i] if i < len(PALETTE) else _hashed(name) for i, name in enumerate(names)}


def _hashed(name: str) -> str:
    digest = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big")
    return _hex(colorsys.hls_to_rgb((digest % 360) / 360, 0.45, 0.65))


def _hex(rgb) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02x}" for c in rgb)


def colour(name: str, variant: str | None = None, colours: dict | None = None) -> str:
    """A run's colour: its variant's (from `colours`, the study's palette; else from the id
    alone), so the seeds of one variant share a hue, each seed a lighter or darker shade."""
    key = variant or name
    base = (colours or {}).get(key) or _hashed(key)
    seed = re.search(r"-s(\d+)$", name) if variant and name != variant else None
    if seed is None:
        return base
    rgb = [int(base[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    hue, lightness, saturation = colorsys.rgb_to_hls(*rgb)
    lightness = min(0.8, max(0.2, lightness + SEED_SHADES[int(seed.group(1)) % 3]))
    return _hex(colorsys.hls_to_rgb(hue, lightness, saturation))


def shade(fraction: float, diagonal: bool) -> str:
    """A cell's background for a share of its row: blue where right, red where wrong."""
    rgb = "31,119,180" if diagonal else "214,39,40"
    alpha = max(0.0, min(1.0, fraction))
    text = "#fff" if alpha > 0.6 else "#222"
    return f"background:rgba({rgb},{alpha:.2f});color:{text}"


def _text_json(value, indent: int | None = None) -> str:
    """A JSON value as text (autoescaped where it lands), unlike Jinja's `tojson`, which is
    markup for scripts."""
    return json.dumps(value, indent=indent)


@cache
def template(name: str):
    """A page template of netspec.results' templates folder (Jinja2, which Snakemake brings
    too): autoescaped, an undefined name an error, `shade` and `tojson_text` at hand."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    environment = Environment(
        loader=PackageLoader("netspec.results", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
    )
    environment.filters["tojson_text"] = _text_json
    environment.globals["shade"] = shade
    return environment.get_template(name)

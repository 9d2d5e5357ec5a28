"""County choropleths from the bundled us-atlas TopoJSON.

The topology is written once to ``assets/counties.js`` (a global ``SANCTUARY_COUNTIES``); map
specs refer to it as the named dataset :data:`TOPO_NAME`, which the page script fills in before
rendering (``file://`` pages cannot fetch local files). For the PNG/SVG exports the topology is
put into the spec's ``datasets`` directly with :func:`with_topology`.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.core.formatting import fmt_value, is_number

TOPO_NAME = "counties_topology"
STATES_NAME = "states_topology"
TOPO_FOLDER = "us_atlas_counties_topojson"
TOPO_FILE = "counties-10m.json"
GLOBAL_NAME = "SANCTUARY_COUNTIES"

_NO_DATA = "#bdbdbd"
_FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"


def load_topology(raw_dir: Path) -> dict[str, Any]:
    """Read ``counties-10m.json`` from the raw-data folder and check it has county geometries."""
    path = Path(raw_dir) / TOPO_FOLDER / TOPO_FILE
    if not path.is_file():
        raise InputError(
            path, "county TopoJSON not found; pass --raw-dir pointing at the raw-data folder"
        )
    try:
        topo = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, f"not valid JSON ({exc})") from exc
    if topo.get("type") != "Topology" or "counties" not in topo.get("objects", {}):
        raise InputError(path, "not a us-atlas Topology with a 'counties' object")
    return topo


def topology_script(topo: dict[str, Any]) -> str:
    """JavaScript that defines the topology as a global for the map specs."""
    return f"window.{GLOBAL_NAME} = {json.dumps(topo, separators=(',', ':'))};\n"


def _topo_data(feature: str) -> dict[str, Any]:
    name = TOPO_NAME if feature == "counties" else STATES_NAME
    return {"name": name, "format": {"type": "topojson", "feature": feature}}


#: Fill of counties whose value the source flags as unreliable (drawn, outlined, not classed).
FLAGGED_COLOR = "#f2f2f2"
FLAGGED_STROKE = "#7a7a7a"


def choropleth(
    values: pd.DataFrame,
    *,
    field: str,
    title: str,
    legend_title: str,
    kind: Literal["quantitative", "ordinal", "nominal"] = "quantitative",
    scheme: str = "viridis",
    domain: list[Any] | None = None,
    colors: list[str] | None = None,
    names: pd.DataFrame | None = None,
    value_title: str = "",
    flagged_label: str = "",
) -> dict[str, Any]:
    """County choropleth of ``values[field]`` keyed by ``values["fips"]``.

    Counties absent from ``values`` (or with a missing value) are drawn grey, so gaps in the data
    show on the map. State borders are drawn on top. The legend lists classes in one column, in
    order.

    Parameters
    ----------
    values
        Columns ``fips`` (5-digit string), ``field``; optionally ``value`` (the number behind a
        class, shown in the tooltip as ``value_title``) and ``flagged`` (true for counties the
        source flags; drawn light with a dark outline under ``flagged_label``, never classed).
    kind
        Vega-Lite type of ``field``.
    domain, colors
        Explicit category order and colours for ordinal/nominal maps.
    names
        Columns ``fips``, ``county``, ``state``: every county's name and state for the tooltip.
    """
    if "fips" not in values.columns or field not in values.columns:
        raise ValueError(f"map values need columns 'fips' and {field!r}")
    keep = ["fips", field] + [c for c in ("value", "flagged") if c in values.columns]
    df = values.loc[:, keep].copy()
    flagged_on = bool(flagged_label) and "flagged" in df.columns and bool(df["flagged"].any())
    if flagged_on:
        df["flagged"] = df["flagged"].fillna(False).astype(bool)
        df[field] = df[field].astype(object)
        df.loc[df["flagged"], field] = flagged_label if kind != "quantitative" else None
    df = df.dropna(subset=[field]).drop_duplicates("fips")
    df["fips"] = df["fips"].astype(str).str.zfill(5)
    if kind == "quantitative":
        df[field] = pd.to_numeric(df[field], errors="coerce")
    else:
        df[field] = df[field].astype(str)
    if "value" in df.columns:
        df["value"] = df["value"].map(lambda v: fmt_value(v) if is_number(v) else v)
    if names is not None and not names.empty:
        nm = names.loc[:, ["fips", "county", "state"]].copy()
        nm["fips"] = nm["fips"].astype(str).str.zfill(5)
        df = nm.drop_duplicates("fips").merge(df, on="fips", how="outer")
    records = json.loads(df.to_json(orient="records"))
    fields = [c for c in df.columns if c != "fips"]
    scale: dict[str, Any] = {}
    dom = list(domain) if domain is not None else None
    rng = list(colors) if colors is not None else None
    if flagged_on and kind != "quantitative" and dom is not None and rng is not None:
        dom.append(flagged_label)
        rng.append(FLAGGED_COLOR)
    if dom is not None:
        scale["domain"] = dom
    if rng is not None:
        scale["range"] = rng
    elif kind == "quantitative":
        scale["scheme"] = scheme
    color: dict[str, Any] = {
        "field": field,
        "type": kind,
        "title": legend_title,
        "scale": scale,
        "legend": {"orient": "bottom", "direction": "vertical", "titleLimit": 360},
    }
    if kind == "quantitative":
        color["legend"].update(direction="horizontal", gradientLength=220)
    else:
        color["legend"].update(columns=1, symbolType="square", labelLimit=320)
    tooltip: list[dict[str, Any]] = []
    if names is not None and not names.empty:
        tooltip += [
            {"field": "county", "type": "nominal", "title": "County"},
            {"field": "state", "type": "nominal", "title": "State"},
        ]
    else:
        tooltip.append({"field": "properties.name", "type": "nominal", "title": "County"})
    if "value" in df.columns:
        tooltip.append({"field": "value", "type": "nominal", "title": value_title or legend_title})
    tooltip.append({"field": field, "type": kind, "title": legend_title})
    encoding: dict[str, Any] = {
        "color": {
            "condition": {"test": f"!isValid(datum[{json.dumps(field)}])", "value": _NO_DATA},
            **color,
        },
        "tooltip": tooltip,
    }
    mark: dict[str, Any] = {"type": "geoshape", "stroke": None, "invalid": None}
    if flagged_on:
        encoding["stroke"] = {
            "condition": {"test": "datum.flagged === true", "value": FLAGGED_STROKE},
            "value": None,
        }
        encoding["strokeWidth"] = {
            "condition": {"test": "datum.flagged === true", "value": 0.6},
            "value": 0,
        }
    projection = {"type": "albersUsa"}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": {"text": textwrap.wrap(title, 40) or [title]} if len(title) > 40 else title,
        "width": "container",
        "height": 340,
        "projection": projection,
        "config": {"view": {"stroke": None}, "font": _FONT},
        "usermeta": {"topology": TOPO_NAME},
        "layer": [
            {
                "data": _topo_data("counties"),
                "transform": [
                    {
                        "lookup": "id",
                        "from": {"data": {"values": records}, "key": "fips", "fields": fields},
                    },
                ],
                "mark": mark,
                "encoding": encoding,
            },
            {
                "data": _topo_data("states"),
                "mark": {
                    "type": "geoshape",
                    "filled": False,
                    "stroke": "white",
                    "strokeWidth": 0.7,
                },
            },
        ],
    }


#: Seven-class yellow-orange-red (ColorBrewer YlOrRd).
YLORRD7 = ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"]


def quantile_classes(values: pd.Series, k: int = 7) -> tuple[pd.Series, list[str]]:
    """Bin a skewed quantity into ``k`` equal-count (quantile) classes labelled by their ranges.

    A few extreme counties then do not wash out the rest of the map; the top class is open-ended
    (``"120 or more"``) so one outlier does not set its label. Returns the label of each value
    and the labels in order (fewer than ``k`` when values tie at the cut points).
    """
    num = pd.to_numeric(values, errors="coerce")
    cuts = sorted(set(num.quantile([i / k for i in range(k + 1)]).dropna().round(10)))
    if len(cuts) < 2:
        label = fmt_value(cuts[0]) if cuts else "–"
        return pd.Series(label, index=values.index).where(num.notna()), [label]
    pairs = list(zip(cuts[:-1], cuts[1:], strict=True))
    labels = [f"{fmt_value(lo)} to under {fmt_value(hi)}" for lo, hi in pairs[:-1]]
    labels.append(f"{fmt_value(pairs[-1][0])} or more")
    binned = pd.cut(num, bins=cuts, labels=labels, include_lowest=True, right=False)
    # the maximum sits on the last edge, which right-open bins leave out
    binned = binned.astype(object).where(~(num == cuts[-1]), labels[-1])
    return binned.where(num.notna()), labels


def with_topology(spec: dict[str, Any], topo: dict[str, Any]) -> dict[str, Any]:
    """A copy of a map spec with the topology inlined (for PNG/SVG export)."""
    out = dict(spec)
    out["datasets"] = {**spec.get("datasets", {}), TOPO_NAME: topo, STATES_NAME: topo}
    return out


def needs_topology(spec: dict[str, Any]) -> bool:
    """Whether a spec reads the shared county topology."""
    return spec.get("usermeta", {}).get("topology") == TOPO_NAME

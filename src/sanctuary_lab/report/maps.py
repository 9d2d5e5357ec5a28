"""County choropleths from the bundled us-atlas TopoJSON.

The topology is written once to ``assets/counties.js`` (a global ``SANCTUARY_COUNTIES``); map
specs refer to it as the named dataset :data:`TOPO_NAME`, which the page script fills in before
rendering (``file://`` pages cannot fetch local files). For the PNG/SVG exports the topology is
put into the spec's ``datasets`` directly with :func:`with_topology`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from sanctuary_lab.errors import InputError

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
) -> dict[str, Any]:
    """County choropleth of ``values[field]`` keyed by ``values["fips"]``.

    Counties absent from ``values`` (or with a missing value) are drawn grey, so gaps in the data
    show on the map. State borders are drawn on top.

    Parameters
    ----------
    values
        Columns ``fips`` (5-digit string), ``field`` and optionally ``name``.
    kind
        Vega-Lite type of ``field``.
    domain, colors
        Explicit category order and colours for ordinal/nominal maps.
    """
    if "fips" not in values.columns or field not in values.columns:
        raise ValueError(f"map values need columns 'fips' and {field!r}")
    df = values.loc[:, ["fips", field]].dropna().drop_duplicates("fips")
    df["fips"] = df["fips"].astype(str).str.zfill(5)
    if kind == "quantitative":
        df[field] = pd.to_numeric(df[field], errors="coerce")
    else:
        df[field] = df[field].astype(str)
    records = json.loads(df.to_json(orient="records"))
    scale: dict[str, Any] = {}
    if domain is not None:
        scale["domain"] = domain
    if colors is not None:
        scale["range"] = colors
    elif kind == "quantitative":
        scale["scheme"] = scheme
    color: dict[str, Any] = {
        "field": field,
        "type": kind,
        "title": legend_title,
        "scale": scale,
        "legend": {"orient": "bottom", "direction": "horizontal"},
    }
    if kind == "quantitative":
        color["legend"]["gradientLength"] = 220
    else:
        color["legend"].update(columns=2, symbolType="square", labelLimit=220)
    projection = {"type": "albersUsa"}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": title,
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
                        "from": {"data": {"values": records}, "key": "fips", "fields": [field]},
                    },
                ],
                "mark": {"type": "geoshape", "stroke": None, "invalid": None},
                "encoding": {
                    "color": {
                        "condition": {
                            "test": f"!isValid(datum[{json.dumps(field)}])",
                            "value": _NO_DATA,
                        },
                        **color,
                    },
                    "tooltip": [
                        {"field": "properties.name", "type": "nominal", "title": "County"},
                        {"field": "id", "type": "nominal", "title": "FIPS"},
                        {"field": field, "type": kind, "title": legend_title},
                    ],
                },
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
    """Bin a skewed quantity into ``k`` equal-count classes labelled by their ranges.

    A few extreme counties then do not wash out the rest of the map. Returns the label of each
    value and the labels in order (fewer than ``k`` when values tie at the cut points).
    """
    num = pd.to_numeric(values, errors="coerce")
    cuts = sorted(set(num.quantile([i / k for i in range(k + 1)]).dropna().round(10)))
    if len(cuts) < 2:
        label = f"{cuts[0]:.3g}" if cuts else "–"
        return pd.Series(label, index=values.index).where(num.notna()), [label]
    labels = [f"{lo:.3g} – {hi:.3g}" for lo, hi in zip(cuts[:-1], cuts[1:], strict=True)]
    binned = pd.cut(num, bins=cuts, labels=labels, include_lowest=True)
    return binned.astype(object).where(num.notna()), labels


def with_topology(spec: dict[str, Any], topo: dict[str, Any]) -> dict[str, Any]:
    """A copy of a map spec with the topology inlined (for PNG/SVG export)."""
    out = dict(spec)
    out["datasets"] = {**spec.get("datasets", {}), TOPO_NAME: topo, STATES_NAME: topo}
    return out


def needs_topology(spec: dict[str, Any]) -> bool:
    """Whether a spec reads the shared county topology."""
    return spec.get("usermeta", {}).get("topology") == TOPO_NAME

"""County boundaries as TopoJSON (folder ``us_atlas_counties_topojson``).

The report draws maps from the TopoJSON files themselves; the warehouse keeps a small staged
table listing every geometry's id and name per file and object, so that map coverage (which
counties can be drawn) is a SQL join. Ids are 5-digit county FIPS (2-digit for states); a
Census cartographic-boundary file without ``id`` uses ``properties.GEOID``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources.base import Adapter, SourceData, read_json
from sanctuary_lab.sources.geo import STATES

CAVEATS = [
    "us-atlas counties-10m.json is 2017-vintage geography (Kusilvak 02158, Oglala Lakota 46102; no Bedford city VA); "
    "the scout removed two comment lines and re-serialised it (no value changes).",
    "TopoJSON files include Puerto Rico and other territories (ids 72xxx, 78xxx); territory geometries other "
    "than PR are listed with in_states=false.",
]


def parse_topojson(path: Path) -> pd.DataFrame:
    """List the geometries of every object in a TopoJSON file.

    Returns columns ``file, object, geometry_index, geo_id, name, level, in_states`` where
    ``level`` is ``county`` (5-digit id), ``state`` (2-digit) or ``other``.
    """
    topo = read_json(path, expect=dict)
    if (
        not isinstance(topo, dict)
        or topo.get("type") != "Topology"
        or not isinstance(topo.get("objects"), dict)
    ):
        raise InputError(
            path, "not a TopoJSON Topology (expected type 'Topology' with 'objects')", field="type"
        )
    rows = []
    for obj_name, obj in sorted(topo["objects"].items()):
        geoms = obj.get("geometries", []) if isinstance(obj, dict) else None
        if not isinstance(geoms, list):
            raise InputError(
                path, f"unexpected JSON structure: objects.{obj_name}.geometries is not a list"
            )
        for i, geom in enumerate(geoms):
            props = geom.get("properties") if isinstance(geom, dict) else None
            if not isinstance(geom, dict) or not isinstance(props or {}, dict):
                raise InputError(
                    path,
                    f"unexpected JSON structure: objects.{obj_name}.geometries[{i}] is not a "
                    "geometry object with a properties table",
                )
            props = props or {}
            gid = geom.get("id", props.get("GEOID"))
            gid = None if gid is None else str(gid)
            name = props.get("name", props.get("NAME"))
            if gid is not None and gid.isdigit() and len(gid) in (4, 5):
                gid, level = gid.zfill(5), "county"
            elif gid is not None and gid.isdigit() and len(gid) in (1, 2):
                gid, level = gid.zfill(2), "state"
            else:
                level = "other"
            rows.append(
                {
                    "file": path.name,
                    "object": obj_name,
                    "geometry_index": i,
                    "geo_id": gid,
                    "name": name,
                    "level": level,
                    "in_states": gid is not None and gid[:2] in STATES,
                }  # fmt: skip
            )
    if not rows:
        raise InputError(path, "TopoJSON has no geometries", field="objects")
    return pd.DataFrame(rows)


class UsAtlasCounties(Adapter):
    """County/state geometry ids and names in the TopoJSON map files."""

    name = "us_atlas_counties_topojson"
    title = "US county boundaries as TopoJSON (us-atlas counties-10m; Census cb_2015 20m)"

    def load(self, raw_dir: Path) -> SourceData:
        folder = self.folder(raw_dir)
        files = sorted(folder.glob("*.json"))
        if not files:
            raise InputError(folder, "no TopoJSON (.json) file in the source folder")
        sd = SourceData(self.name, caveats=list(CAVEATS))
        parts = []
        for path in files:
            df = parse_topojson(path)
            sd.record(path, rows_read=len(df), rows_kept=len(df))
            parts.append(df)
        sd.tables["topojson_geometries"] = pd.concat(parts, ignore_index=True)
        return sd

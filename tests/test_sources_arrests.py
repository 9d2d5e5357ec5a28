"""ICPSR county arrest files (real), the county_arrests table, ICE ERO cited figures, and bad input."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from sanctuary_lab.core.errors import InputError, SpecError
from sanctuary_lab.sources._icpsr_layout import layout_for_part, read_layout
from sanctuary_lab.sources.ice_ero_arrests_cited import IceEroArrestsCited, parse_ice_ero_cited
from sanctuary_lab.sources.ucr_county_arrests_icpsr import (
    UcrCountyArrestsIcpsr,
    parse_icpsr_county_file,
    read_schema,
)
from sanctuary_lab.warehouse import tables_arrests

FOLDER = "ucr_county_arrests_icpsr"


@pytest.fixture(scope="module")
def arrests(raw_dir: Path):
    return UcrCountyArrestsIcpsr().load(raw_dir)


@pytest.fixture(scope="module")
def county_arrests(arrests) -> pd.DataFrame:
    staged = {f"stg_{k}": v for k, v in arrests.tables.items()}
    return tables_arrests.county_arrests(staged)


def _files(arrests) -> pd.DataFrame:
    return arrests.tables["icpsr_arrest_files"].set_index("file")


def test_source_md_national_murder_totals(arrests) -> None:
    """SOURCE.md: national sums of the records, murder arrests 13,231 (2000), 13,250 (2005),
    12,244 (2008)."""
    files = _files(arrests)
    by_year = {y: files.loc[f, "murder_all_records"] for f, y in
               [("03451.txt", 2000), ("04717.txt", 2005), ("27644.txt", 2008)]}  # fmt: skip
    assert by_year == {2000: 13231, 2005: 13250, 2008: 12244}


def test_source_md_grand_totals_range(arrests) -> None:
    """SOURCE.md: all arrests between 12.4 and 14.2 million a year, 1994-2008. The parse gives
    14.25 million in 1994 and 12.32 / 12.35 million in 2002 / 2003, within 1% of the stated
    bounds; the test holds the stated range with that margin and pins the three years."""
    files = _files(arrests)
    ok = files.loc[files["status"] == "parsed"]
    tot = {int(r["years"]): r["all_arrests_all_records"] for _, r in ok.iterrows()
           if r["years"].isdigit() and int(r["years"]) >= 1994}  # fmt: skip
    assert sorted(tot) == list(range(1994, 2009))
    inside = {y for y, v in tot.items() if 12.4e6 <= v <= 14.2e6}
    assert set(tot) - inside == {1994, 2002, 2003}
    assert all(12.4e6 * 0.99 <= v <= 14.2e6 * 1.01 for v in tot.values())


def test_county_arrests_counties_per_year(county_arrests: pd.DataFrame) -> None:
    later = county_arrests.loc[county_arrests["year"] >= 1994]
    n = later.groupby("year")["fips"].nunique()
    assert list(n.index) == list(range(1994, 2009))
    assert (n >= 3000).all()
    assert county_arrests.duplicated(["fips", "year"]).sum() == 0
    assert set(county_arrests["series"]) == {"pre-1994", "1994+"}
    assert (county_arrests.loc[county_arrests["year"] < 1994, "series"] == "pre-1994").all()
    assert 1993 not in set(county_arrests["year"])
    assert (county_arrests["series_break"] == 1994).all()


def test_county_arrests_columns_and_arithmetic(county_arrests: pd.DataFrame) -> None:
    d = county_arrests.loc[(county_arrests["year"] == 2008) & (county_arrests["fips"] == "01003")]
    assert len(d) == 1
    r = d.iloc[0]
    assert r["reporting"] in {"full", "partial", "imputed"} and 0 <= r["coverage"] <= 100
    assert r["agencies"] >= 1 and r["pop_covered"] > 0
    assert r["violent_rate_10k"] == pytest.approx(r["violent"] / r["pop_covered"] * 1e4)
    later = county_arrests.loc[county_arrests["year"] >= 1994]
    assert later["coverage"].notna().all()
    assert set(later["reporting"]) <= {"full", "partial", "imputed"}
    # totals agree with their parts up to ICPSR's rounding of separately imputed counts (a
    # misaligned layout would break this by orders of magnitude)
    gap = (later["part1"] - later["violent"] - later["property"]).abs()
    assert gap.max() <= 6 and gap.mean() < 0.5
    parts = later[["murder", "rape", "robbery", "agg_assault"]].sum(axis=1)
    assert (later["violent"] - parts).abs().max() <= 2


def test_unmapped_files_reported_not_guessed(arrests) -> None:
    files = _files(arrests)
    assert files.loc["09470.txt", "status"] == "unmapped"
    assert files.loc["09252.txt", "status"] == "unmapped"  # two years named, no part map
    reasons = {(r.file, r.field): r.reason for r in arrests.rejects if r.row == 0}
    assert "code_table" in reasons[("09470.txt", "file")]
    assert "1985" in reasons[("09252.txt", "file")]
    assert any(c.startswith("09470.txt") for c in arrests.caveats)


def test_non_county_records_rejected_with_reason(arrests) -> None:
    r999 = [r for r in arrests.rejects if r.file == "27644.txt" and "999" in r.reason]
    assert len(r999) == 4 and all(r.field == "fips_cty" for r in r999)


def test_pre1994_missing_code_is_null_not_zero(county_arrests: pd.DataFrame) -> None:
    old = county_arrests.loc[county_arrests["year"] == 1980]
    none = old.loc[old["reporting"] == "none"]
    assert len(none) > 0 and none["murder"].isna().all()
    assert old["murder"].max() < 9999  # the 9-filled missing-data code never becomes a count


def test_schema_years_and_layouts(raw_dir: Path) -> None:
    entries = read_schema(raw_dir / FOLDER / "schema.json")
    assert entries["27644.txt"].part_years == {1: 2008} and entries["27644.txt"].layout == 1
    assert entries["08703.txt"].part_years == {1: 1977, 3: 1978, 5: 1979, 7: 1980, 9: 1981,
                                               11: 1982, 13: 1983}  # fmt: skip
    assert entries["09252.txt"].problem


def _layout(raw_dir: Path):
    return read_layout(raw_dir / FOLDER / "definitions" / "1.csv")


def test_truncated_record_names_file_row_field(raw_dir: Path, tmp_path: Path) -> None:
    src = (raw_dir / FOLDER / "unparsed" / "27644.txt").read_text().splitlines()
    bad = tmp_path / "27644.txt"
    src[41] = src[41][:150]
    bad.write_text("\n".join(src[:60]) + "\n")
    with pytest.raises(InputError) as exc:
        parse_icpsr_county_file(bad, _layout(raw_dir), {1: 2008})
    msg = str(exc.value)
    assert "27644.txt" in msg and "row 42" in msg and "truncated" in msg
    assert exc.value.field == "drug_possession"


def test_non_numeric_value_names_file_row_field(raw_dir: Path, tmp_path: Path) -> None:
    src = (raw_dir / FOLDER / "unparsed" / "27644.txt").read_text().splitlines()
    bad = tmp_path / "x.txt"
    line = src[9]
    src[9] = line[:57] + "ab12" + line[61:]  # MURDER is columns 58-61
    bad.write_text("\n".join(src[:20]) + "\n")
    with pytest.raises(InputError) as exc:
        parse_icpsr_county_file(bad, _layout(raw_dir), {1: 2008})
    assert exc.value.row == 10 and exc.value.field == "murder"


def test_layout_selects_part(raw_dir: Path) -> None:
    fields = _layout(raw_dir)
    p1 = {f.name for f in layout_for_part(fields, 1)}
    p4 = {f.name for f in layout_for_part(fields, 4)}
    assert "GRNDTOT" in p1 and "GRNDTOT" not in p4
    assert "CPOPCRIM" in p4 and "MURDER" in p4


def test_ice_ero_figures(raw_dir: Path) -> None:
    sd = IceEroArrestsCited().load(raw_dir)
    t = sd.tables["ice_ero_figures"]
    assert len(t) == 12 and t["quote"].notna().all()
    fy19 = t.loc[(t["fiscal_year"] == 2019) & (t["measure"] == "share_convicted_or_pending")]
    assert fy19["bound"].iloc[0] == "lower" and fy19["unit"].iloc[0] == "percent"


def test_ice_ero_bad_share(raw_dir: Path, tmp_path: Path) -> None:
    text = (raw_dir / "ice_ero_arrests_cited" / "ice_ero_admin_arrests_fy2016_2020.csv").read_text()
    bad = tmp_path / "ero.csv"
    bad.write_text(
        text.replace("2020,share_convicted_or_pending,90,", "2020,share_convicted_or_pending,190,")
    )
    with pytest.raises(InputError) as exc:
        parse_ice_ero_cited(bad)
    assert exc.value.row == 12 and exc.value.field == "value"


def test_ice_ero_noncriminal_share(tmp_path: Path, raw_dir: Path) -> None:
    """Noncriminal = no conviction AND no pending charge, from the counts or ICE's shares."""
    from sanctuary_lab.studies.descriptives.ice_ero import ice_ero_noncriminal_share

    sd = IceEroArrestsCited().load(raw_dir)
    con = duckdb.connect()
    fig = tables_arrests.ice_ero_arrests({"stg_ice_ero_figures": sd.tables["ice_ero_figures"]})
    con.register("_f", fig)
    con.execute("CREATE TABLE ice_ero_arrests AS SELECT * FROM _f")
    table, stats = ice_ero_noncriminal_share(con)
    f = sd.tables["ice_ero_figures"].set_index(["fiscal_year", "measure"])["value"]
    tot, crim = (
        f[(2018, "ero_administrative_arrests_total")],
        f[(2018, "ero_admin_arrests_with_criminal_history")],
    )
    assert stats["noncriminal_share_fy2018"] == pytest.approx((tot - crim) / tot * 100)
    assert stats["noncriminal_share_fy2020"] == pytest.approx(
        100 - f[(2020, "share_convicted_or_pending")]
    )
    assert "noncriminal_share_fy2019" not in stats  # a bound is never a point value
    assert stats["noncriminal_share_fy2019_upper_bound"] == pytest.approx(100 - 86)
    assert stats["noncriminal_share_latest_fiscal_year"] == 2020
    assert stats["no_conviction_share_fy2018"] == pytest.approx(100 - 66)
    assert list(table["fiscal_year"]) == [2016, 2017, 2018, 2019, 2020]


def test_absent_folder_is_recorded_not_an_error(tmp_path: Path) -> None:
    sd = UcrCountyArrestsIcpsr().load(tmp_path)
    assert not sd.tables and sd.caveats[0].startswith("absent")


def test_county_arrests_287g_frame(tmp_path: Path, county_arrests: pd.DataFrame) -> None:
    """The arrest frame: balanced 1994-2008, cohorts from the named column, rates per 10k."""
    from sanctuary_lab.studies.frames.arrests import county_arrests_287g

    con = duckdb.connect()
    con.register("_a", county_arrests)
    con.execute("CREATE TABLE county_arrests AS SELECT * FROM _a")
    fips = sorted(county_arrests["fips"].unique())[:400]
    c287 = pd.DataFrame({"fips": fips, "year": 2005})
    c287["first_year"] = np.where(np.arange(len(fips)) % 10 == 0, 2006, 2030)
    c287.loc[1, "first_year"] = 1999  # before the panel: dropped
    con.register("_c", c287)
    con.execute("CREATE TABLE county_year_287g AS SELECT * FROM _c")
    f = county_arrests_287g(con)
    d = f.data
    assert f.meta["outcome_kind"] == "arrests"
    assert sorted(d["year"].unique()) == list(range(1994, 2009))
    assert (d.groupby("fips")["year"].nunique() == 15).all()
    assert fips[1] not in set(d["fips"])
    assert set(d["cohort_287g"]) == {0, 2006}
    t = d.loc[d["cohort_287g"] == 2006]
    assert (t["treated_287g"] == (t["year"] >= 2006).astype(int)).all()
    assert f.meta["vintage"]["treatment"] == "county_year_287g.first_year"
    with pytest.raises(SpecError, match="series break"):
        county_arrests_287g(con, first_year=1990)
    with pytest.raises(SpecError, match="cohorts"):
        county_arrests_287g(con, cohorts=[2008])
    with pytest.raises(SpecError, match="first_year"):
        county_arrests_287g(con, first_year="1994; DROP TABLE x")
    with pytest.raises(SpecError, match="cohort_column 'nope'"):
        county_arrests_287g(con, cohort_column="nope")
    named = county_arrests_287g(con, cohort_column="first_year")
    assert named.data.equals(d)


def test_cli_truncated_icpsr_file_exit_2(
    raw_dir: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    """A truncated arrest file in a raw folder: `sources --check` prints one line naming file,
    row and field, exit 2."""
    from cli_helpers import run_cli

    src = raw_dir / FOLDER
    dst = tmp_path / FOLDER
    (dst / "unparsed").mkdir(parents=True)
    for p in src.iterdir():
        if p.is_file():
            (dst / p.name).symlink_to(p.resolve())
    (dst / "definitions").symlink_to((src / "definitions").resolve())
    lines = (src / "unparsed" / "04466.txt").read_text().splitlines()
    lines[99] = lines[99][:100]
    (dst / "unparsed" / "04466.txt").write_text("\n".join(lines) + "\n")
    code, _, err = run_cli(monkeypatch, capsys, "sources", "--check", "--raw-dir", str(tmp_path))
    out = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(out) == 1 and out[0].startswith("error: ")
    assert "04466.txt" in out[0] and "row 100" in out[0] and "field 'forgery'" in out[0]

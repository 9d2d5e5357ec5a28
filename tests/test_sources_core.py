"""Core source adapters read the real raw files; facts asserted here are read from those files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from sanctuary_lab.sources.acs_kaggle import AcsKaggle, vintage_from_name
from sanctuary_lab.sources.base import SourceData
from sanctuary_lab.sources.county_facts import CountyFacts2014
from sanctuary_lab.sources.marshall_city import MarshallCityCrime
from sanctuary_lab.sources.nchs import NchsUrbanRural, parse_nchs
from sanctuary_lab.sources.popest import CensusPopest
from sanctuary_lab.sources.state_ucr import StateUcrClassdata, parse_cde_agency
from sanctuary_lab.sources.ucr_county_2012 import (
    NacjdCounty2012,
    parse_nacjd_county,
    year_from_name,
)
from sanctuary_lab.sources.urban_county_crime import UrbanCountyCrime
from sanctuary_lab.sources.us_atlas import UsAtlasCounties
from sanctuary_lab.sources.usdata import UsdataCounty

_CACHE: dict[str, SourceData] = {}


def _load(adapter_cls, raw_dir: Path) -> SourceData:
    key = adapter_cls.name
    if key not in _CACHE:
        _CACHE[key] = adapter_cls().load(raw_dir)
    return _CACHE[key]


def _row(df: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for k, v in where.items():
        mask &= df[k] == v
    hit = df[mask]
    assert len(hit) == 1, f"expected one row for {where}, got {len(hit)}"
    return hit.iloc[0]


# ---------------------------------------------------------------------------------------------- NCHS


def test_nchs_workbook_classes(raw_dir: Path) -> None:
    sd = _load(NchsUrbanRural, raw_dir)
    df = sd.tables["nchs_urban_rural"]
    assert len(df) == 3149
    assert df["fips"].str.fullmatch(r"\d{5}").all()
    counts = df["nchs_code"].value_counts().sort_index().to_dict()
    assert counts == {1: 68, 2: 368, 3: 373, 4: 358, 5: 641, 6: 1341}
    autauga = _row(df, fips="01001")
    assert (autauga["nchs_code"], autauga["nchs_label"], autauga["county_pop_2012"]) == (
        3,
        "Medium metro",
        55514,
    )
    assert sd.files[0].file == "NCHSURCodes2013.xlsx"
    # both old and new codes of renamed counties are listed (hence 3,149 rows)
    assert {"02158", "02270", "46102", "46113", "51515"} <= set(df["fips"])


def test_nchs_repairs_titles_cut_into_population_cell(raw_dir: Path) -> None:
    df = _load(NchsUrbanRural, raw_dir).tables["nchs_urban_rural"]
    slo = _row(df, fips="06079")
    assert slo["cbsa_title"] == "San Luis Obispo-Paso Robles-Arroyo Grande, CA"
    assert slo["cbsa_pop_2012"] == 274804
    dc = _row(df, fips="11001")
    assert dc["cbsa_title"] == "Washington-Arlington-Alexandria, DC-VA-MD-WV"
    assert dc["cbsa_pop_2012"] == 5860342


def test_nchs_csv_export_matches_workbook(raw_dir: Path) -> None:
    book = _load(NchsUrbanRural, raw_dir).tables["nchs_urban_rural"]
    csv = parse_nchs(raw_dir / "nchs_urban_rural_2013" / "NCHSURCodes2013_converted.csv")
    cols = [
        "fips",
        "state",
        "county_name",
        "cbsa_title",
        "cbsa_pop_2012",
        "nchs_code",
        "nchs_code_2006",
    ]
    pd.testing.assert_frame_equal(book[cols], csv[cols], check_dtype=False)


# ------------------------------------------------------------------------------------- NACJD 2012


def test_nacjd_2012_counts(raw_dir: Path) -> None:
    sd = _load(NacjdCounty2012, raw_dir)
    df = sd.tables["nacjd_county_crime"]
    assert len(df) == 3136 and df["fips"].is_unique
    assert set(df["year"]) == {2012}
    murders = {f: _row(df, fips=f)["murder"] for f in ("11001", "42101", "22071", "24510")}
    assert murders == {"11001": 88, "42101": 332, "22071": 193, "24510": 216}
    la = _row(df, fips="06037")
    assert la["population"] == 10017068  # July 2013 Census estimate added by the Kaggle author
    expected = la["murder"] + la["rape"] + la["robbery"] + la["agg_assault"]
    assert la["violent_count"] == expected
    assert la["property_count"] == la["burglary"] + la["larceny"] + la["motor_vehicle_theft"]
    zero = df[df["all_zero"]]
    assert len(zero) == 83 and (zero["covind"] == 100).sum() == 80
    assert _row(df, fips="28003")["all_zero"]  # Alcorn MS: all-zero, COVIND 100 = non-reporting
    assert any("2012" in c for c in sd.caveats)


def test_nacjd_parser_reads_multi_year_file(raw_dir: Path, tmp_path: Path) -> None:
    """A fuller NACJD download (several years, YEAR column) goes through the same parser."""
    src = pd.read_csv(
        raw_dir / "county_crime_icpsr_2012" / "crime_data_w_population_and_crime_rate.csv",
        dtype=str,
    )
    src = src.head(50)
    two = pd.concat([src.assign(YEAR="2011"), src.assign(YEAR="2012")]).drop(
        columns=["county_name", "population"]
    )
    path = tmp_path / "nacjd_2011_2012.csv"
    two.to_csv(path, index=False)
    df, log = parse_nacjd_county(path)
    assert len(df) == 100 and sorted(df["year"].unique()) == [2011, 2012]
    assert df["population"].isna().all() and len(log) == 0
    # an ICPSR tab-delimited file without a year column takes the year from its name
    tsv = tmp_path / "nacjd_county_2011.tsv"
    src.drop(columns=["county_name", "population"]).to_csv(tsv, sep="\t", index=False)
    df, _ = parse_nacjd_county(tsv, year=year_from_name(tsv))
    assert set(df["year"]) == {2011} and len(df) == 50
    assert year_from_name(Path("crime_data_w_population_and_crime_rate.csv")) == 2012


# ------------------------------------------------------------------------------------------ Urban


def test_urban_rates_and_populations(raw_dir: Path) -> None:
    sd = _load(UrbanCountyCrime, raw_dir)
    ucr, nib, pop = (
        sd.tables[k] for k in ("urban_ucr_rates", "urban_nibrs_rates", "urban_county_population")
    )
    assert len(ucr) == 6284 and sorted(ucr["year"].unique()) == [2015, 2017]
    assert ucr["quality"].value_counts().to_dict() == {2: 5267, 3: 993, 1: 10}
    assert ucr["violent_rate_100k"].isna().sum() == 14
    assert abs(_row(ucr, fips="01001", year=2015)["violent_rate_100k"] - 276.43774) < 1e-6
    assert len(nib) == 9431 and sorted(nib["year"].unique()) == [2021, 2022, 2023]
    assert nib["violent_rate_100k"].isna().sum() == 765
    assert _row(pop, fips="01001", year=2014)["population"] == 55395
    assert pop["year"].between(2014, 2023).all()


# --------------------------------------------------------------------------------------- Marshall


def test_marshall_city_and_national_rows(raw_dir: Path) -> None:
    sd = _load(MarshallCityCrime, raw_dir)
    city, nat = sd.tables["marshall_city_crime"], sd.tables["marshall_national"]
    assert city["ori"].nunique() == 68 and len(city) == 2788
    assert (city["year"].min(), city["year"].max()) == (1975, 2015)
    assert len(nat) == 41 and (nat["department_name"] == "National").all()
    assert _row(nat, year=1975)["murder"] == 20510
    assert len(sd.rejects) == 41 and all("national" in r.reason for r in sd.rejects)
    rec = sd.files[0]
    assert (rec.rows_read, rec.rows_kept, rec.rows_rejected) == (2829, 2788, 41)
    alb = _row(city, ori="NM00101", year=1975)
    assert (alb["murder"], alb["violent_count"], alb["months_reported"]) == (30, 2383, 12)


# -------------------------------------------------------------------------------------- state UCR


def test_state_ucr_three_series(raw_dir: Path) -> None:
    sd = _load(StateUcrClassdata, raw_dir)
    v1, cde, v2 = (
        sd.tables[k]
        for k in ("state_crime_ucrdatatool", "state_crime_cde", "state_crime_cde_agency")
    )
    assert len(v1) == 3011 and (v1["year"].min(), v1["year"].max()) == (1961, 2019)
    assert set(v1["state"]) >= {"DC", "PR"}  # "D.C." normalised
    assert len(cde) == 2164 and (cde["year"].min(), cde["year"].max()) == (1979, 2020)
    srs = v2[v2["series"] == "ucr_srs_estimated"]
    nib = v2[v2["series"] == "nibrs_reporting_agencies"]
    assert len(srs) == 2164
    assert not nib.duplicated(["state", "year"]).any()  # one offence per raw row, collapsed
    al21 = _row(nib, state="AL", year=2021)
    assert (al21["murder"], al21["agg_assault"], al21["agencies_submitting"]) == (309, 10827, 381)
    al19 = _row(srs, state="AL", year=2019)
    assert al19["murder"] == 390  # SRS estimate, not added to the NIBRS row (4)
    assert sd.files[2].rows_read == 9139


def test_state_ucr_reads_rda_when_csv_absent(raw_dir: Path) -> None:
    df = parse_cde_agency(raw_dir / "state_ucr_classdata" / "fbiwide.v2.rda")
    assert len(df[df["series"] == "ucr_srs_estimated"]) == 2164
    assert (
        _row(df[df["series"] == "nibrs_reporting_agencies"], state="AL", year=2021)["murder"] == 309
    )


# ------------------------------------------------------------------------------------- covariates


def test_acs_kaggle_vintages(raw_dir: Path) -> None:
    df = _load(AcsKaggle, raw_dir).tables["acs_kaggle"]
    assert df.groupby("vintage").size().to_dict() == {"acs2011_2015": 3220, "acs2013_2017": 3220}
    assert _row(df, fips="01001", vintage="acs2011_2015")["population"] == 55221
    assert _row(df, fips="01001", vintage="acs2013_2017")["median_household_income"] == 55317
    assert (df["fips"].str[:2] == "72").sum() == 2 * 78
    assert vintage_from_name(Path("acs2019_county_data.csv")) == "acs2015_2019"


def test_county_facts_latin1_and_aggregate_rows(raw_dir: Path) -> None:
    sd = _load(CountyFacts2014, raw_dir)
    df = sd.tables["county_facts_2014"]
    assert len(df) == 3143 and df["fips"].is_unique
    assert len(sd.rejects) == 52  # the US row and 51 state rows
    autauga = _row(df, fips="01001")
    assert (
        autauga["pop_2014"],
        autauga["pct_foreign_born"],
        autauga["median_household_income"],
    ) == (55395, 1.6, 53682)
    assert _row(df, fips="35013")["county_name"].startswith("Do")


def test_usdata_covariates_population_crime(raw_dir: Path) -> None:
    sd = _load(UsdataCounty, raw_dir)
    cov = sd.tables["usdata_covariates"]
    assert cov.groupby("vintage").size().to_dict() == {
        "acs2015_2019": 3142,
        "usdata_2010": 3142,
        "usdata_2017": 3142,
    }
    assert (
        cov.loc[cov["vintage"] == "usdata_2017", "pct_black"].isna().all()
    )  # black_2017 is wrong upstream
    assert cov.loc[cov["vintage"] == "acs2015_2019", "poverty_rate"].notna().sum() == 1266
    a10 = _row(cov, fips="01001", vintage="usdata_2010")
    assert (a10["population"], a10["pct_foreign_born"]) == (54571, 2.0)
    une = sd.tables["usdata_unemployment"]
    assert sorted(une["year"].unique()) == list(range(2007, 2018)) + [2019]
    crime = sd.tables["us_crime_rates"]
    assert len(crime) == 60 and _row(crime, year=1960)["murder"] == 9110


def test_popest_population_and_migration(raw_dir: Path) -> None:
    sd = _load(CensusPopest, raw_dir)
    cty, st = sd.tables["popest_county"], sd.tables["popest_state"]
    assert len(cty) == 3142 * 10 and len(st) == 51 * 10
    assert _row(cty, fips="01001", year=2010)["population"] == 54773
    assert _row(cty, fips="01001", year=2019)["population"] == 55869
    assert _row(cty, fips="01001", year=2010)["net_international_migration"] == 25
    assert _row(st, state_fips="01", year=2010)["population"] == 4785437


def test_topojson_geometry_ids(raw_dir: Path) -> None:
    df = _load(UsAtlasCounties, raw_dir).tables["topojson_geometries"]
    by = df.groupby(["file", "object"]).size().to_dict()
    assert by[("counties-10m.json", "counties")] == 3231
    assert by[("counties-10m.json", "states")] == 56
    assert by[("cb_2015_us_county_20m.topo.json", "cb_2015_us_county_20m")] == 3220
    c10 = df[(df["file"] == "counties-10m.json") & (df["object"] == "counties")]
    assert "02158" in set(c10["geo_id"]) and "51515" not in set(c10["geo_id"])
    assert _row(c10, geo_id="04015")["name"] == "Mohave"


def test_every_core_adapter_records_provenance_and_caveats(raw_dir: Path, tmp_path: Path) -> None:
    for cls in (NacjdCounty2012, UrbanCountyCrime, MarshallCityCrime, StateUcrClassdata, NchsUrbanRural,
                AcsKaggle, CountyFacts2014, UsdataCounty, CensusPopest, UsAtlasCounties):  # fmt: skip
        sd = _load(cls, raw_dir)
        assert sd.files and all(len(f.sha256) == 64 for f in sd.files), cls.name
        assert sd.caveats and all(isinstance(c, str) and c for c in sd.caveats), cls.name
        assert all(not df.empty for df in sd.tables.values()), cls.name
    # the same adapter works on a copy of its folder elsewhere (no hard-coded paths)
    shutil.copytree(raw_dir / "marshall_city_crime", tmp_path / "marshall_city_crime")
    assert len(MarshallCityCrime().load(tmp_path).tables["marshall_city_crime"]) == 2788

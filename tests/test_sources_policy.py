"""Policy source adapters: real files parse to the documented facts; bad input fails clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources import ice_aor, ice_detainers_npr, policy_sc_cpuma
from sanctuary_lab.sources import policy_287g_2024_2026 as ice2024
from sanctuary_lab.sources import policy_287g_pre2018_ddp as ddp
from sanctuary_lab.sources import wapo_287g_sheriffs as wapo
from sanctuary_lab.sources.geo import county_key

# ---------------------------------------------------------------------------------------------
# real files


@pytest.fixture(scope="module")
def wapo_sd(raw_dir: Path):
    return wapo.WapoSheriffs287g().load(raw_dir)


@pytest.fixture(scope="module")
def ddp_sd(raw_dir: Path):
    return ddp.Ddp287gPre2018().load(raw_dir)


@pytest.fixture(scope="module")
def ice_sd(raw_dir: Path):
    return ice2024.Ice287g2024to2026().load(raw_dir)


@pytest.fixture(scope="module")
def sc_sd(raw_dir: Path):
    return policy_sc_cpuma.ScCpumaEast2022().load(raw_dir)


@pytest.fixture(scope="module")
def npr_sd(raw_dir: Path):
    return ice_detainers_npr.NprDetainers().load(raw_dir)


@pytest.fixture(scope="module")
def aor_sd(raw_dir: Path):
    return ice_aor.IceAorCrosswalks().load(raw_dir)


def test_wapo_2019_year_flags_match_source(wapo_sd) -> None:
    t = wapo_sd.tables["wapo_287g_curated_2019"]
    flags = {y: int(t[f"y{y}"].sum()) for y in range(2005, 2020)}
    assert flags == {
        2005: 6, 2006: 9, 2007: 32, 2008: 55, 2009: 64, 2010: 63, 2011: 63, 2012: 62,
        2013: 40, 2014: 39, 2015: 36, 2016: 38, 2017: 66, 2018: 83, 2019: 128,
    }  # fmt: skip
    assert int(t["y2019"].sum()) == 128
    # the stray "State (Alphabetical)" sub-header is rejected, never kept
    assert not t["agency"].str.contains("COUNTIES THAT ENDED", na=False).any()
    assert any(r.field == "State" and "sub-header" in r.reason for r in wapo_sd.rejects)


def test_wapo_fips_state_mismatch_dropped_and_logged(wapo_sd) -> None:
    t = wapo_sd.tables["wapo_287g_curated_2019"]
    # FIPS 20701 on the Arizona La Paz row is a column shift, not a county
    lapaz = t[t["agency"].str.contains("La Paz", na=False)]
    assert lapaz["fips"].isna().all()
    assert (t["fips"].dropna().str[:2] == t.loc[t["fips"].notna(), "state_fips"]).all()
    assert any(r.field == "FIPS" and "20701" in r.reason for r in wapo_sd.rejects)
    etowah = t[t["agency"] == "Etowah County Sheriff's Office"].iloc[0]
    assert (etowah["fips"], etowah["ori"], etowah["state"]) == ("01055", "AL0310000", "AL")


def test_ucr_agency_list(wapo_sd) -> None:
    ag = wapo_sd.tables["ucr_agencies"]
    assert len(ag) == 18_459 - 3  # Guam and two Virgin Islands agencies rejected
    assert ag["ori"].is_unique and (ag["ori"].str.len() == 9).all()
    assert (ag["ori7"] == ag["ori"].str[:7]).all()
    assert ag.loc[ag["ori"] == "AL0010200", "county_names"].iloc[0] == "SHELBY; JEFFERSON"
    rec = next(f for f in wapo_sd.files if f.file == "ucr_agencies_list.csv")
    assert (rec.rows_read, rec.rows_kept, rec.rows_rejected) == (18_459, 18_456, 3)


def test_ddp_best_guess_facts(ddp_sd) -> None:
    t = ddp_sd.tables["ddp_287g_best_guess"]
    assert len(t) == 229
    assert int(t["fips"].notna().sum()) == 87
    assert int((t["jurisdiction_level"] == "statewide").sum()) == 13
    assert t["confidence"].value_counts().to_dict() == {"high": 104, "low": 96, "medium": 29}
    assert (t["fips"].dropna().str.len() == 5).all()
    wash = t[(t["agency"] == "Washington County Sheriff's Office") & (t["state"] == "AR")]
    assert wash["fips_list"].tolist() == ["05143"]
    assert any("49053" in r.reason for r in ddp_sd.rejects)
    assert not t["agency"].str.contains("http", case=False).any()
    assert int(t["agency_had_url"].sum()) == 2
    # header-less Yale / GAO rows get their state from the name
    elp = t[t["agency"] == "El Paso"]
    assert elp["state"].tolist() == ["TX"]
    assert int(t["active_to_censored"].sum()) == int(
        (t["active_to"] == pd.Timestamp("2017-08-01")).sum()
    )
    assert int(t["rem_identified"].sum()) == 268_065 and int(t["rem_removed"].sum()) == 175_104


def test_ddp_historical_lists(ddp_sd) -> None:
    h = ddp_sd.tables["ddp_287g_historical"]
    assert len(h) == 69
    assert h.groupby("as_of").size().to_dict() == {
        pd.Timestamp("2007-09-19"): 28,
        pd.Timestamp("2008-03-10"): 41,
    }


def test_ice_2024_2026(ice_sd) -> None:
    sheet = ice_sd.tables["ice_287g_sheet_2024"]
    assert len(sheet) == 135
    assert sheet["model"].value_counts().to_dict() == {"warrant_service": 75, "jail": 60}
    assert sheet["signed"].min() == pd.Timestamp("2019-04-24")
    assert sheet["signed"].max() == pd.Timestamp("2020-12-23")
    snaps = ice_sd.tables["ice_287g_snapshots_2025"]
    assert len(snaps) == 11_257
    per = snaps.groupby(["snapshot_date", "snapshot_part"]).size()
    assert len(per) == 17 and per.iloc[0] == 571 and per.iloc[-1] == 753
    assert snaps[["state", "agency"]].drop_duplicates().shape[0] == 622
    moa = ice_sd.tables["ice_287g_moa"]
    assert len(moa) == 1_681 and moa[["state", "agency"]].drop_duplicates().shape[0] == 1_433
    assert moa["model"].value_counts(dropna=False).to_dict() == {
        "task_force": 972, "warrant_service": 395, pd.NA: 191, "jail": 123,
    }  # fmt: skip
    assert moa["moa_date"].dropna().dt.year.between(2002, 2030).all()


def test_sc_cpuma_coverage_by_year(sc_sd) -> None:
    p = sc_sd.tables["sc_287g_cpuma"]
    assert len(p) == 17_248 and p["cpuma0010"].nunique() == 1_078
    mean = p.groupby("year")["sc_frac"].mean()
    assert mean[2013] == pytest.approx(0.998, abs=5e-4)
    assert mean[2014] == pytest.approx(1.0, abs=5e-4)
    assert mean[2012] == pytest.approx(0.870, abs=5e-4)
    assert mean[2015] == 0.0
    summ = sc_sd.tables["cpuma_summary"]
    assert len(summ) == 1_085 and summ["cpuma0010"].is_unique
    assert set(p["cpuma0010"]) <= set(summ["cpuma0010"])
    assert summ.loc[summ["cpuma0010"] == 1, ["state_fips", "pop10"]].iloc[0].tolist() == [
        "01",
        800683.0,
    ]


def test_npr_detainers(npr_sd) -> None:
    fac = npr_sd.tables["detainer_facility_outcomes"]
    pub = fac[fac["public"]]
    assert pub["facility"].dropna().nunique() == 3_961
    assert int(pub.groupby(pub["facility"].fillna(""))["count_all"].first().sum()) == 1_789_251
    declined = pub[pub["lift_reason"] == "Detainer Declined by LEA"]
    assert declined["facility"].fillna("").nunique() == 708
    assert fac[~fac["public"]]["facility"].nunique() == 47
    by_reason = npr_sd.tables["detainers_national_by_reason"]
    dec = by_reason[by_reason["lift_reason"] == "Detainer Declined by LEA"].set_index("year")[
        "count"
    ]
    assert dec.to_dict() == {
        2007: 11, 2008: 64, 2009: 66, 2010: 121, 2011: 279, 2012: 942, 2013: 2378, 2014: 13595, 2015: 2785,
    }  # fmt: skip
    all_y = npr_sd.tables["detainers_national_by_year"].set_index("year")["count"]
    assert all_y[2011] == 314_966 and all_y[2007] == 39_124 and all_y[2015] == 49_653
    months = npr_sd.tables["detainers_national_by_month"]
    assert len(months) == 94 and (months["year"].iloc[0], months["month"].iloc[0]) == (2007, 10)


def test_aor_crosswalks(aor_sd) -> None:
    c = aor_sd.tables["uwchr_county_aor"]
    assert len(c) == 3_223 and c["fips"].is_unique
    assert c["aor"].nunique() == 24
    assert c.loc[c["fips"] == "01001", "aor"].iloc[0] == "NOL"
    d = aor_sd.tables["aor_demog"]
    assert len(d) == 192 and d["year"].min() == 2012 and d["year"].max() == 2019
    o = aor_sd.tables["ddp_aor_offices"]
    assert len(o) == 423 and o["office_name"].nunique() == 25  # 426 data rows, 3 territories
    assert not o["office_name"].str.startswith(" ").any()  # skipinitialspace worked
    assert {r.reason.split("'")[1] for r in aor_sd.rejects} == {
        "United States Virgin Islands", "Guam", "Commonwealth of the Northern Mariana Islands",
    }  # fmt: skip


def test_county_key_normalisation() -> None:
    assert county_key("St. Mary's Parish") == county_key("SAINT MARYS") == "STMARYS"
    assert county_key("DE KALB") == county_key("DeKalb County")
    assert county_key("Richmond city") != county_key("Richmond County")
    assert county_key("Etowah County, AL") == "ETOWAH"


# ---------------------------------------------------------------------------------------------
# bad input


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_ddp_missing_column(tmp_path: Path) -> None:
    p = _write(tmp_path / "best.csv", "state,agency\nALABAMA,Etowah County Sheriff's Office\n")
    with pytest.raises(InputError) as e:
        ddp.parse_best_guess(p)
    assert e.value.field == "jurisdiction_level" and "best.csv" in str(e.value)


def test_ddp_bad_date_and_bad_fips(tmp_path: Path, raw_dir: Path) -> None:
    src = (raw_dir / ddp.NAME / "pre2018-agreements-best-guess.csv").read_text(encoding="utf-8")
    lines = src.splitlines()
    header, row = lines[0], lines[25]  # Etowah County, county_fips "1055"
    assert '"1055"' in row
    p = _write(
        tmp_path / "bad_date.csv", header + "\n" + row.replace("2008-07-08", "2008-13-45", 1) + "\n"
    )
    with pytest.raises(InputError) as e:
        ddp.parse_best_guess(p)
    assert (e.value.row, e.value.field) == (1, "first_signed_best")
    p = _write(tmp_path / "bad_fips.csv", header + "\n" + row.replace('"1055"', '"10x5"') + "\n")
    with pytest.raises(InputError) as e:
        ddp.parse_best_guess(p)
    assert (e.value.row, e.value.field) == (1, "county_fips")


def test_wapo_xlsx_missing_year_column(tmp_path: Path) -> None:
    cols = {c: ["x"] for c in wapo.CURATED_REQUIRED if c != "y2012"}
    p = tmp_path / "curated.xlsx"
    pd.DataFrame(cols).to_excel(p, index=False)
    with pytest.raises(InputError) as e:
        wapo.parse_curated(p)
    assert e.value.field == "y2012"


def test_wapo_not_an_xlsx(tmp_path: Path) -> None:
    p = _write(tmp_path / "curated.xlsx", "this is not a workbook")
    with pytest.raises(InputError, match="cannot read as an Excel"):
        wapo.parse_curated(p)


def test_agency_list_bad_ori(tmp_path: Path) -> None:
    p = _write(
        tmp_path / "agencies.csv",
        "ori,agency_name,agency_type_name,state_abbr,county_name\n"
        "AK0010100,Anchorage PD,City,AK,ANCHORAGE\n??,Bad,City,AK,ANCHORAGE\n",
    )
    with pytest.raises(InputError) as e:
        wapo.parse_agency_list(p)
    assert (e.value.row, e.value.field) == (2, "ori")


def test_sc_share_out_of_range_and_non_numeric(tmp_path: Path) -> None:
    header = "year,cpuma0010," + ",".join(policy_sc_cpuma.SHARE_COLS)
    ok = ",".join(["0.0"] * 12)
    p = _write(
        tmp_path / "sc.csv", f"{header}\n2010,1,{ok}\n2010,2,{ok.replace('0.0', '1.5', 1)}\n"
    )
    with pytest.raises(InputError) as e:
        policy_sc_cpuma.parse_cpuma_policy(p)
    assert (e.value.row, e.value.field) == (2, "state287g_jan")
    p = _write(tmp_path / "sc2.csv", f"{header}\n20x0,1,{ok}\n")
    with pytest.raises(InputError) as e:
        policy_sc_cpuma.parse_cpuma_policy(p)
    assert (e.value.row, e.value.field) == (1, "year")


def test_sc_summary_not_xls(tmp_path: Path) -> None:
    p = _write(tmp_path / "summary.xls", "CPUMA0010,State_FIPS\n1,01\n")
    with pytest.raises(InputError, match="cannot read as an Excel .xls"):
        policy_sc_cpuma.parse_cpuma_summary(p)


def test_detainer_count_all_inconsistent(tmp_path: Path) -> None:
    p = _write(
        tmp_path / "fac.csv",
        '"","det_facility","lift_reason","count","count_all","freq"\n'
        '"1","A COUNTY JAIL","",5,10,50\n"2","A COUNTY JAIL","Lifted",4,10,40\n',
    )
    with pytest.raises(InputError) as e:
        ice_detainers_npr.parse_facility_outcomes(p, public=True)
    assert e.value.field == "count_all"


def test_detainer_national_wrong_type_and_empty(tmp_path: Path) -> None:
    p = _write(tmp_path / "by_year.csv", "year,count\n2010,12\n2011,many\n")
    with pytest.raises(InputError) as e:
        ice_detainers_npr.parse_national(p, ["year", "count"])
    assert (e.value.row, e.value.field) == (2, "count")
    empty = _write(tmp_path / "empty.csv", "")
    with pytest.raises(InputError, match="empty"):
        ice_detainers_npr.parse_national(empty, ["year", "count"])


def test_moa_json_malformed_and_bad_key(tmp_path: Path) -> None:
    p = _write(tmp_path / "moa.json", '{"FL|x": [ {"model": "TFM",')
    with pytest.raises(InputError, match="malformed JSON"):
        ice2024.parse_moa_json(p)
    entry = {
        "model": "TFM",
        "pdf_url": "u",
        "snapshot": "s",
        "date_filename": "042925",
        "filename": "f",
    }
    p = _write(tmp_path / "moa2.json", json.dumps({"no pipe here": [entry]}))
    with pytest.raises(InputError) as e:
        ice2024.parse_moa_json(p)
    assert e.value.field == "key"
    p = _write(tmp_path / "moa3.json", json.dumps({"FL|x": [entry | {"model": "XYZ"}]}))
    with pytest.raises(InputError, match="unknown 287\\(g\\) model"):
        ice2024.parse_moa_json(p)


def test_ice_sheet_unknown_state(tmp_path: Path) -> None:
    p = _write(
        tmp_path / "sheet.csv",
        "capture_date,state,agency,support,signed,link,addendum\n"
        "2024-12-18 02:59:39,ATLANTIS,X Sheriff,Jail Enforcement Model,2020-01-01,u,\n",
    )
    with pytest.raises(InputError) as e:
        ice2024.parse_ice_sheet(p)
    assert (e.value.row, e.value.field) == (1, "state")


def test_aor_demog_wrong_delimiter(tmp_path: Path) -> None:
    p = _write(tmp_path / "demog.csv", "aor,total_pop,undocu_pop,year\nATL,1,2,2012\n")
    with pytest.raises(InputError) as e:
        ice_aor.parse_aor_demog(p)
    assert "missing required column" in str(e.value)


def test_county_aor_bad_fips(tmp_path: Path) -> None:
    p = _write(tmp_path / "c.csv", "geoid,name,aor\n01001,a,NOL\n99001,b,NOL\n")
    with pytest.raises(InputError) as e:
        ice_aor.parse_county_aor(p)
    assert (e.value.row, e.value.field) == (2, "geoid")


def test_adapter_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="source folder is missing"):
        ice_aor.IceAorCrosswalks().load(tmp_path)

"""Small synthetic files written to the published layouts of the full official formats.

Values are synthetic (known truths for the tests); the layouts are the published ones, cited in
each writer's docstring. Nothing here is copied from a real data file.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from sanctuary_lab.sources.ucr_county_offenses_icpsr import PART4_LAYOUT

#: (state FIPS, counties) used by the fixtures; real state codes, county codes 001..007
STATES = ["06", "48", "36", "12", "37", "17", "42", "39"]
COUNTIES = ["001", "003", "005", "007"]


def write_kaplan_offenses_known(
    path: Path, years: range = range(2004, 2013), seed: int = 1
) -> dict:
    """Agency-level offences known in Jacob Kaplan's concatenated yearly format.

    Layout: Kaplan, *Uniform Crime Reporting (UCR) Program Data: Offenses Known and Clearances by
    Arrest, 1960-2023* (openICPSR 100707), ``offenses_known_yearly`` columns as listed in Kaplan's
    *R for Criminology* (chapter on the UCR offenses known data): ``ori, ori9, agency_name, state,
    state_abb, year, number_of_months_missing, fips_state_code, fips_county_code,
    fips_state_county_code, population, actual_murder, actual_rape_total, actual_robbery_total,
    actual_assault_aggravated, actual_burg_total, actual_theft_total, actual_mtr_veh_theft_total``.
    Two agencies per county, 8 states x 4 counties; one agency-year reports 9 months.
    Returns the truths the tests check.
    """
    rng = np.random.default_rng(seed)
    cols = [
        "ori", "ori9", "agency_name", "state", "state_abb", "year", "number_of_months_missing",
        "fips_state_code", "fips_county_code", "fips_state_county_code", "population",
        "actual_murder", "actual_rape_total", "actual_robbery_total", "actual_assault_aggravated",
        "actual_burg_total", "actual_theft_total", "actual_mtr_veh_theft_total",
    ]  # fmt: skip
    rows, truth = [], {}
    for s in STATES:
        for c in COUNTIES:
            for a in range(2):
                ori = f"ZZ{int(s):02d}{int(c):02d}{a}"
                base = rng.uniform(20, 60)
                pop = int(rng.integers(20_000, 200_000))
                for y in years:
                    lam = base * pop / 1e5 * (1 + 0.02 * (y - years[0]))
                    v = rng.poisson(
                        [lam * 0.05, lam * 0.1, lam * 0.3, lam * 0.55, lam * 2, lam * 6, lam * 0.8]
                    )
                    missing = 3 if (s, c, a, y) == ("06", "001", 0, years[0]) else 0
                    rows.append([ori, ori + "00", f"agency {ori}", "state", "XX", y, missing, s, c,
                                 s + c, pop, *v.tolist()])  # fmt: skip
                    key = (s + c, y)
                    t = truth.setdefault(key, {"murder": 0, "population": 0, "full_pop": 0})
                    t["murder"] += int(v[0])
                    t["population"] += pop
                    t["full_pop"] += pop if missing == 0 else 0
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        w.writerows(rows)
    return truth


def write_icpsr_part4(path: Path, n: int = 12, seed: int = 2) -> list[dict]:
    """ICPSR county-level UCR Part 4 ("crimes reported") fixed-width records.

    Layout: ICPSR county-level detailed arrest and offense data codebooks (1998-2008), Part 4
    variable list (FIPS_ST 11-12, FIPS_CTY 13-15, CPOPARST 16-23, CPOPCRIM 24-31, AG_ARRST 32-34,
    AG_OFF 35-37, COVIND 38-45 with an explicit decimal point, INDEX 46-51, MODINDX 52-57,
    MURDER 58-61, RAPE 62-65, ROBBERY 66-70, AGASLT 71-75, BURGLRY 76-81, LARCENY 82-87,
    MVTHEFT 88-93, ARSON 94-97), as transcribed in ``ucr_county_arrests_icpsr/definitions/1.csv``.
    One state-wide record (FIPS_CTY 999) is included and must be rejected.
    """
    rng = np.random.default_rng(seed)
    records = []
    for i in range(n):
        cty = "999" if i == n - 1 else f"{2 * i + 1:03d}"
        r = {
            "STUDYNO": "4466", "PART": "4", "FIPS_ST": "37", "FIPS_CTY": cty,
            "CPOPARST": int(rng.integers(10_000, 900_000)), "COVIND": float(np.round(rng.uniform(50, 100), 4)),
            "AG_ARRST": 3, "AG_OFF": 3,
            "MURDER": int(rng.integers(0, 50)), "RAPE": int(rng.integers(0, 90)),
            "ROBBERY": int(rng.integers(0, 900)), "AGASLT": int(rng.integers(0, 2000)),
            "BURGLRY": int(rng.integers(0, 9000)), "LARCENY": int(rng.integers(0, 20000)),
            "MVTHEFT": int(rng.integers(0, 3000)), "ARSON": int(rng.integers(0, 90)),
        }  # fmt: skip
        r["CPOPCRIM"] = r["CPOPARST"] - 100
        r["INDEX"] = sum(
            r[k] for k in ("MURDER", "RAPE", "ROBBERY", "AGASLT", "BURGLRY", "LARCENY", "MVTHEFT")
        )
        r["MODINDX"] = r["INDEX"] + r["ARSON"]
        records.append(r)
    lines = []
    for r in records:
        buf = [" "] * 97
        for f in PART4_LAYOUT:
            val = r.get(f.name, "")
            if f.name == "COVIND":
                text = f"{val:08.4f}"
            elif f.name in ("FIPS_ST", "FIPS_CTY", "STUDYNO", "PART"):
                text = str(val)
            else:
                text = str(val).rjust(f.width, "0")
            buf[f.start - 1 : f.end] = list(text.rjust(f.width)[: f.width])
        lines.append("".join(buf))
    path.write_text("\n".join(lines) + "\n")
    return records


def write_cde_agency(path: Path) -> None:
    """FBI Crime Data Explorer agency summarized offences, long format.

    Layout: CDE API ``summarized/agencies/{ori}/offenses`` and its CSV download (FBI Crime Data
    Explorer API documentation): ``ori, data_year, offense, state_abbr, cleared, actual``.
    Two agencies (one ORI unknown to the agency list), two years, eight offences plus the
    aggregate ``violent-crime`` (recomputed, not read).
    """
    offences = ["homicide", "rape", "robbery", "aggravated-assault", "burglary", "larceny",
                "motor-vehicle-theft", "arson", "violent-crime"]  # fmt: skip
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["ori", "data_year", "offense", "state_abbr", "cleared", "actual"])
        for ori in ("NC0010000", "NC0019999"):
            for y in (2010, 2011):
                for k, o in enumerate(offences):
                    w.writerow([ori, y, o, "NC", 1, 10 * (k + 1) + (y - 2010)])


def write_ddp(folder: Path) -> None:
    """ICE arrests and detainers as posted by the Deportation Data Project, saved as CSV.

    Layout: Deportation Data Project, ICE core data codebook
    (https://deportationdata.org/docs/ice/codebook.html): arrests ``apprehension_date,
    apprehension_state, apprehension_aor, final_program, apprehension_method,
    apprehension_criminality, unique_identifier``; detainers ``detainer_prepare_date`` (+ state).
    Criminality uses ICE's three categories ``1 Convicted Criminal``, ``2 Pending Criminal
    Charges``, ``3 Other Immigration Violator``.
    """
    crim = ["1 Convicted Criminal", "2 Pending Criminal Charges", "3 Other Immigration Violator"]
    with open(folder / "arrests-latest.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["apprehension_date", "apprehension_state", "apprehension_aor", "final_program",
                    "apprehension_method", "apprehension_criminality", "unique_identifier"])  # fmt: skip
        # FY2024: Oct 2023 - Sep 2024; 6 arrests, 2 other immigration violators, 1 unknown
        dates = ["2023-10-02", "2023-12-01", "2024-03-05", "2024-06-30", "2024-09-30", "2024-09-01",
                 "2024-10-01"]  # fmt: skip
        cats = [crim[0], crim[1], crim[2], crim[0], crim[2], "", crim[2]]
        for i, (d, c) in enumerate(zip(dates, cats, strict=True)):
            w.writerow([d, "TEXAS", "Houston Area of Responsibility", "ERO Criminal Alien Program",
                        "CAP Local Incarceration", c, f"id{i}"])  # fmt: skip
    with open(folder / "detainers-latest.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["detainer_prepare_date", "facility_state"])
        for d in ("2024-01-05", "2024-02-05", "2025-01-01"):
            w.writerow([d, "TX"])

#!/usr/bin/env bash
# Regenerate the reference ("golden") files under tests/golden/ — a plain list of steps; each
# design area appends its own step. Needs R with plm + sandwich:
#   apt-get install -y r-base-core r-cran-plm r-cran-sandwich
# Run from the repository root (the Makefile's `goldens` target does). RAW_DIR defaults to
# ../shared/data/raw.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
RAW_DIR=${RAW_DIR:-../shared/data/raw}

# 1. exact input rows for the linear-design references (state panel, county cross-section)
"$PY" scripts/make_golden_inputs.py "$RAW_DIR"
# 2. R plm + sandwich references: TWFE within/LSDV, cross-section OLS (HC1, CRV1)
Rscript scripts/make_goldens_r.R
# 3. statsmodels references: the same models as dummy-variable OLS/WLS
"$PY" scripts/make_goldens_statsmodels.py
# 4. staggered DiD / event-study references on mpdta (differences, statsmodels, hand two-stage)
"$PY" scripts/make_goldens_staggered.py "$RAW_DIR/../reference"

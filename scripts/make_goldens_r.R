# Reference estimates from R (plm + sandwich) for tests/test_reference_goldens.py.
# Inputs: build/golden_inputs/twfe_state_panel.csv, build/golden_inputs/cs_county.csv (scripts/make_golden_inputs.py).
# Output: tests/golden/r_reference.csv with one row per (model, term):
#   estimate; se_hc1_within / se_crv1_within  : plm within estimator, vcovHC(method="white1",
#                                               type="HC1") and vcovHC(cluster="group", type="sss"),
#                                               K = within regressors only (pyfixest k_fixef="none");
#   se_hc1_full / se_crv1_full                : lm with dummies, sandwich vcovHC(type="HC1") and
#                                               vcovCL(type="HC1"), K counts every dummy
#                                               (pyfixest k_fixef="full").
# Usage: Rscript scripts/make_goldens_r.R   (run from the repository root)
suppressPackageStartupMessages({ library(plm); library(sandwich) })

gold <- file.path("tests", "golden")
inputs <- file.path("build", "golden_inputs")
panel <- read.csv(file.path(inputs, "twfe_state_panel.csv"), stringsAsFactors = FALSE)
cs <- read.csv(file.path(inputs, "cs_county.csv"), stringsAsFactors = FALSE,
               colClasses = c(fips = "character"))

se <- function(v, terms) sqrt(diag(v))[terms]
rows <- list()
add <- function(model, terms, est, hc1w, crv1w, hc1f, crv1f) {
  rows[[length(rows) + 1]] <<- data.frame(
    model = model, term = terms, estimate = unname(est[terms]),
    se_hc1_within = unname(hc1w), se_crv1_within = unname(crv1w),
    se_hc1_full = unname(hc1f), se_crv1_full = unname(crv1f))
}

twfe <- function(name, outcome, weighted = FALSE) {
  terms <- c("log_pop", "pop_above_own_median")
  f <- as.formula(paste(outcome, "~ log_pop + pop_above_own_median"))
  w <- if (weighted) panel$population else NULL
  pd <- pdata.frame(panel, index = c("state", "year"))
  m <- if (weighted) plm(f, data = pd, model = "within", effect = "twoways", weights = population)
       else plm(f, data = pd, model = "within", effect = "twoways")
  fl <- as.formula(paste(outcome, "~ log_pop + pop_above_own_median + factor(state) + factor(year)"))
  l <- if (weighted) lm(fl, data = panel, weights = population) else lm(fl, data = panel)
  # plm has no robust vcov for weighted panel models: the within columns stay NA there
  # plm's weighted two-way within transformation is not exact on unbalanced panels, so
  # weighted estimates come from the dummy-variable lm (exact WLS)
  add(name, terms, if (weighted) coef(l) else coef(m),
      if (weighted) NA else se(vcovHC(m, method = "white1", type = "HC1"), terms),
      if (weighted) NA else se(vcovHC(m, method = "arellano", cluster = "group", type = "sss"), terms),
      se(vcovHC(l, type = "HC1"), terms),
      se(vcovCL(l, cluster = ~state, type = "HC1"), terms))
  if (!weighted) stopifnot(max(abs(coef(m)[terms] - coef(l)[terms])) < 1e-8)
}

cross <- function(name, f, terms, weighted = FALSE) {
  l <- if (weighted) lm(f, data = cs, weights = population) else lm(f, data = cs)
  hc1 <- se(vcovHC(l, type = "HC1"), terms)
  crv1 <- se(vcovCL(l, cluster = ~state, type = "HC1"), terms)
  add(name, terms, coef(l), NA, NA, hc1, crv1)
}

twfe("twfe_violent", "violent_rate")
twfe("twfe_property", "property_rate")
twfe("twfe_violent_popweighted", "violent_rate", weighted = TRUE)

controls <- "unemployment + income_pc_k + log_pop"
cross("cs_hispanic", as.formula(paste("poverty ~ hispanic +", controls)), c("hispanic"))
cross("cs_hispanic_popweighted", as.formula(paste("poverty ~ hispanic +", controls)),
      c("hispanic"), weighted = TRUE)
cs$nchs_f <- factor(cs$nchs)
strat_terms <- paste0("nchs_f", levels(cs$nchs_f), ":hisp_high")
cross("cs_strata", as.formula(paste("poverty ~ nchs_f + nchs_f:hisp_high +", controls)),
      strat_terms)
cross("cs_strata_raw", poverty ~ nchs_f + nchs_f:hisp_high, strat_terms)

out <- do.call(rbind, rows)
write.csv(out, file.path(gold, "r_reference.csv"), row.names = FALSE)
cat(sprintf("wrote %d rows (R %s, plm %s, sandwich %s)\n", nrow(out), getRversion(),
            packageVersion("plm"), packageVersion("sandwich")))

# Reference values for tests/test_multilevel.py, from R and lme4 (versions printed first).
# Run: Rscript tests/reference/multilevel_lme4.R > tests/reference/multilevel_lme4.out
# The Python constants in tests/reference/multilevel_r.py were copied from this output.
# sleepstudy is lme4's data set: the tests export it with Rscript at test time (skipped
# without R) and fit it with cx.fit_multilevel. The fits use bobyqa with a tight rhoend so that
# R's optimum is converged to well below the 1e-6 the tests ask for.
suppressPackageStartupMessages(library(lme4))
options(digits = 15, width = 150)
cat("R", as.character(getRversion()), "lme4", as.character(packageVersion("lme4")), "\n")
show <- function(name, x) { cat("##", name, "\n"); print(x) }
ctl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 0.2, rhoend = 1e-12, maxfun = 1e5))
models <- list(
  slopes = Reaction ~ Days + (Days | Subject),
  intercept = Reaction ~ Days + (1 | Subject)
)
for (m in names(models)) for (reml in c(TRUE, FALSE)) {
  fit <- lmer(models[[m]], data = sleepstudy, REML = reml, control = ctl)
  tag <- paste(m, if (reml) "REML" else "ML")
  show(paste(tag, "fixef"), fixef(fit))
  show(paste(tag, "se"), sqrt(diag(as.matrix(vcov(fit)))))
  show(paste(tag, "theta"), getME(fit, "theta"))
  show(paste(tag, "sigma"), sigma(fit))
  show(paste(tag, "varcorr"), as.data.frame(VarCorr(fit))[, c("var1", "var2", "vcov")])
  show(paste(tag, "loglik"), as.numeric(logLik(fit)))
  re <- ranef(fit, condVar = TRUE)$Subject
  pv <- attr(re, "postVar")
  show(paste(tag, "ranef"), head(re, 3))
  show(paste(tag, "ranef sd"), sqrt(pv[1, 1, 1:3]))
}

# Reference values for the logistic multilevel model in tests/test_multilevel.py, from R and lme4.
# Run: Rscript tests/reference/multilevel_glmer.R > tests/reference/multilevel_glmer.out
# The Python constants in tests/reference/multilevel_r.py (GLMER) were copied from this output.
# Data: lme4's cbpp, one row per animal (incidence of the size animals of each herd and period
# as 0/1 answers), so that the Bernoulli likelihood is the one cx.fit_multilevel maximises.
# Laplace approximation (nAGQ = 1, glmer's default), bobyqa with a tight rhoend, and a tight PIRLS
# tolerance: with the default tolPwrss = 1e-7 the log-likelihood lme4 reports is evaluated at
# weights of an unconverged PIRLS step and is off by 3e-4 (-278.350105 here).
suppressPackageStartupMessages(library(lme4))
options(digits = 15, width = 150)
cat("R", as.character(getRversion()), "lme4", as.character(packageVersion("lme4")), "\n")
show <- function(name, x) { cat("##", name, "\n"); print(x) }
rows <- cbpp[rep(seq_len(nrow(cbpp)), cbpp$size), c("herd", "period", "incidence", "size")]
rows$sick <- unlist(lapply(seq_len(nrow(cbpp)), function(i)
  rep(c(1, 0), c(cbpp$incidence[i], cbpp$size[i] - cbpp$incidence[i]))))
rows$late <- as.numeric(rows$period != "1")
ctl <- glmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 0.2, rhoend = 1e-12, maxfun = 1e5),
                    tolPwrss = 1e-13)
fit <- glmer(sick ~ late + (1 | herd), data = rows, family = binomial, control = ctl)
show("n", nrow(rows))
show("fixef", fixef(fit))
show("se", sqrt(diag(as.matrix(vcov(fit)))))
show("theta", getME(fit, "theta"))
show("loglik", as.numeric(logLik(fit)))
re <- ranef(fit, condVar = TRUE)$herd
show("ranef", head(re, 3))
show("ranef sd", sqrt(attr(re, "postVar")[1, 1, 1:3]))
null <- glm(sick ~ late, data = rows, family = binomial)
show("glm loglik", as.numeric(logLik(null)))

# Reference values for tests/test_churn_aft_spec.py: Weibull implied hazard ratios with
# delta-method intervals that include the uncertainty of the scale.
# Run: Rscript tests/reference/weibull_hr_delta.R > tests/reference/weibull_hr_delta.out
# Data: R survival's lung (the test reads lifelines' copy, load_lung; rows with a missing
# covariate dropped, as survreg's na.omit). log HR_j = -beta_j / sigma; the delta method takes
# the gradient in (beta_j, log sigma): (-1/sigma, beta_j/sigma), with vcov(fit), which for
# survreg holds Log(scale) in its last row and column (the computation car::deltaMethod does).
suppressPackageStartupMessages(library(survival))
options(digits = 15, width = 150)
cat("R", R.version$major, R.version$minor, "survival", as.character(packageVersion("survival")), "\n")
fit <- survreg(Surv(time, status) ~ age + sex + ph.ecog, data = lung, dist = "weibull")
V <- vcov(fit)
s <- fit$scale
z <- qnorm(0.975)
for (v in c("age", "sex", "ph.ecog")) {
  b <- coef(fit)[[v]]
  g <- c(-1 / s, b / s)
  idx <- c(v, "Log(scale)")
  se <- sqrt(drop(t(g) %*% V[idx, idx] %*% g))
  lhr <- -b / s
  se_naive <- sqrt(V[v, v]) / s  # the old rule: scale held fixed
  cat(sprintf("%s hr=%.12f log_hr_se=%.12f hr_low=%.12f hr_high=%.12f naive_se=%.12f\n",
              v, exp(lhr), se, exp(lhr - z * se), exp(lhr + z * se), se_naive))
}

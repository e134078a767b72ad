# Cox survival predictions with R survival's two baseline hazards, for tests/test_churn_r.py:
# survfit.coxph(ctype = 2) (Efron, R's default for Efron ties, cxmodels' default) and
# survfit.coxph(ctype = 1) (Breslow, lifelines' convention; fit_churn(baseline="breslow")).
# Run from the repository root, with the path of lifelines' rossi.csv:
#   Rscript tests/reference/cox_breslow_r.R .../lifelines/datasets/rossi.csv tests/reference/cox_breslow_r.csv
# Rows: data set, profile (row of newdata), time, ctype, survival. Rossi (weekly arrests) has many tied event times; lung a few.
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
rossi <- read.csv(args[1])
rows <- list()
add <- function(name, fit, newdata, times) {
  for (ct in 1:2) {
    sf <- survfit(fit, newdata = newdata, ctype = ct)
    # a matrix (times x rows), or for strata one vector, curve after curve: one column per row
    surv <- matrix(summary(sf, times = times, extend = TRUE)$surv, nrow = length(times))
    for (j in seq_len(ncol(surv))) {
      rows[[length(rows) + 1]] <<- data.frame(data = name, profile = j, time = times,
                                               ctype = ct, surv = surv[, j])
    }
  }
}
rfit <- coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, data = rossi)
rnd <- data.frame(fin = c(0, 1), age = c(20, 35), race = c(1, 0), wexp = c(0, 1), mar = c(0, 1),
                  paro = c(1, 0), prio = c(3, 0))
add("rossi", rfit, rnd, c(5, 10, 20, 30.5, 40, 52))
lfit <- coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung)
add("lung", lfit, data.frame(age = c(50, 70), sex = c(1, 2), ph.ecog = c(0, 2)),
    c(100, 200, 365, 500, 800))
lsfit <- coxph(Surv(time, status) ~ age + ph.ecog + strata(sex), data = lung)
add("lung_strata", lsfit, data.frame(age = c(60, 45), ph.ecog = c(1, 0), sex = c(2, 1)),
    c(100, 200, 365, 500))
out <- do.call(rbind, rows)
write.csv(out, args[2], row.names = FALSE)
cat("survival", as.character(packageVersion("survival")), "\n")

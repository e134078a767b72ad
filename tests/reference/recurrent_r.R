# Repeat-event reference for tests/test_recurrent.py, run at test time with R survival:
#   Rscript tests/reference/recurrent_r.R OUT_DIR
# bladder2 and cgd ship with R survival (LGPL data): exported at test time, never committed.
# Writes bladder2.csv, cgd.csv and recurrent.csv: coxph coefficients, naive and robust
# (cluster(id)) standard errors and log partial likelihoods, Efron ties, for
#   ag        Andersen-Gill       Surv(start, stop, event) ~ x + cluster(id)
#   pwp_total PWP total time      Surv(start, stop, event) ~ x + strata(enum) + cluster(id)
#   pwp_gap   PWP gap time        Surv(stop - start, event) ~ x + strata(enum) + cluster(id)
# (enum capped at 4 in bladder2, as in the survival vignette) and Andersen-Gill on cgd.
# The values as run are committed as tests/reference/recurrent_r.csv.
suppressPackageStartupMessages(library(survival))
out <- commandArgs(trailingOnly = TRUE)[1]
b <- bladder2
b$enum4 <- pmin(b$enum, 4)
write.csv(b[, c("id", "rx", "number", "size", "start", "stop", "event", "enum")],
          file.path(out, "bladder2.csv"), row.names = FALSE)
g <- cgd
write.csv(g[, c("id", "treat", "sex", "age", "inherit", "steroids", "tstart", "tstop", "status",
                "enum")], file.path(out, "cgd.csv"), row.names = FALSE)
one <- function(name, f) {
  data.frame(fit = name, term = names(coef(f)), coef = unname(coef(f)),
             se = sqrt(diag(f$naive.var)), robust_se = sqrt(diag(f$var)),
             loglik = f$loglik[2])
}
ctl <- coxph.control(eps = 1e-11, iter.max = 50)
res <- rbind(
  one("ag", coxph(Surv(start, stop, event) ~ rx + size + number + cluster(id), b, control = ctl)),
  one("pwp_total", coxph(Surv(start, stop, event) ~ rx + size + number + strata(enum4) +
                           cluster(id), b, control = ctl)),
  one("pwp_gap", coxph(Surv(stop - start, event) ~ rx + size + number + strata(enum4) +
                         cluster(id), b, control = ctl)),
  one("cgd_ag", coxph(Surv(tstart, tstop, status) ~ treat + sex + age + inherit + steroids +
                        cluster(id), g, control = ctl))
)
write.csv(res, file.path(out, "recurrent.csv"), row.names = FALSE)

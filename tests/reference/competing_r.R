# Competing risks reference for tests/test_competing.py, run at test time with R survival:
#   Rscript tests/reference/competing_r.R OUT_DIR
# mgus2 ships with R survival (LGPL data): exported at test time, never committed.
# Writes mgus2.csv (the data), aj.csv (multi-state survfit: pstate, std.err, lower, upper for
# every time, overall and by sex) and cs_cox.csv (cause-specific coxph for pcm).
library(survival)
out <- commandArgs(trailingOnly = TRUE)[1]
d <- mgus2
d$etime <- with(d, ifelse(pstat == 0, futime, ptime))
d$code <- with(d, ifelse(pstat == 0, 2 * death, 1))
d$event <- factor(d$code, 0:2, labels = c("censor", "pcm", "death"))
write.csv(d[, c("etime", "code", "sex", "age")], file.path(out, "mgus2.csv"), row.names = FALSE)
one <- function(f, group) {
  data.frame(group = group, time = f$time, n.risk = f$n.risk[, 1],
             p0 = f$pstate[, 1], p1 = f$pstate[, 2], p2 = f$pstate[, 3],
             se1 = f$std.err[, 2], se2 = f$std.err[, 3],
             lo1 = f$lower[, 2], hi1 = f$upper[, 2], lo2 = f$lower[, 3], hi2 = f$upper[, 3])
}
all <- one(survfit(Surv(etime, event) ~ 1, data = d), "all")
fs <- survfit(Surv(etime, event) ~ sex, data = d)
by <- do.call(rbind, lapply(seq_along(fs$strata), function(i) {
  one(fs[i, ], sub("sex=", "", names(fs$strata)[i]))
}))
write.csv(rbind(all, by), file.path(out, "aj.csv"), row.names = FALSE)
cs <- coxph(Surv(etime, event == "pcm") ~ sex + age, data = d, ties = "efron")
write.csv(data.frame(term = names(coef(cs)), coef = coef(cs), se = sqrt(diag(vcov(cs)))),
          file.path(out, "cs_cox.csv"), row.names = FALSE)
# Fine-Gray (cmprsk crr, one censoring group) on mgus2 for both causes, and on the tied data
# the test writes to OUT_DIR/tied.csv (time, code, x1, x2) when it is there.
if (requireNamespace("cmprsk", quietly = TRUE)) {
  x <- cbind(sexM = as.numeric(d$sex == "M"), age = d$age)
  fits <- lapply(1:2, function(k) cmprsk::crr(d$etime, d$code, cov1 = x, failcode = k, cencode = 0,
                                                         gtol = 1e-10, maxiter = 50))
  tied <- file.path(out, "tied.csv")
  if (file.exists(tied)) {
    td <- read.csv(tied)
    fits[[3]] <- cmprsk::crr(td$time, td$code, cov1 = cbind(x1 = td$x1, x2 = td$x2),
                             failcode = 1, cencode = 0, gtol = 1e-10, maxiter = 50)
  }
  fg <- do.call(rbind, lapply(seq_along(fits), function(i) {
    data.frame(fit = c("pcm", "death", "tied")[i], term = names(fits[[i]]$coef),
               coef = fits[[i]]$coef, se = sqrt(diag(fits[[i]]$var)), loglik = fits[[i]]$loglik)
  }))
  write.csv(fg, file.path(out, "crr.csv"), row.names = FALSE)
  # Gray's test (cuminc Tests): mgus2 by sex; by age band (4 groups, rho = 1); by age band
  # stratified by sex; the tied data by x2 (committed as competing_gray_r.csv)
  d$ageband <- cut(d$age, c(0, 60, 70, 80, Inf), labels = c("<60", "60-70", "70-80", "80+"))
  gray <- function(name, ...) {
    tt <- cmprsk::cuminc(...)$Tests
    data.frame(case = name, cause = rownames(tt), stat = tt[, "stat"], pv = tt[, "pv"],
               df = tt[, "df"])
  }
  gt <- rbind(gray("sex", d$etime, d$code, d$sex),
              gray("ageband_rho1", d$etime, d$code, d$ageband, rho = 1),
              gray("ageband_by_sex", d$etime, d$code, d$ageband, strata = d$sex))
  if (file.exists(tied)) gt <- rbind(gt, gray("tied", td$time, td$code, td$x2))
  write.csv(gt, file.path(out, "gray.csv"), row.names = FALSE)
}

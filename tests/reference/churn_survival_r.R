# Reference values for tests/test_churn_r.py, from R 4.2.2 and survival 3.5-3.
# Run: Rscript tests/reference/churn_survival_r.R path/to/lifelines/datasets/rossi.csv \
#        > tests/reference/churn_survival_r.out
# The Python constants in tests/reference/churn_r.py were copied from this output.
# veteran and lung are R survival's data sets: the tests read lung from lifelines (load_lung) and
# export veteran with Rscript at test time (skipped without R). tmerge_cp.csv is our own synthetic
# data, made here (seeded).
suppressPackageStartupMessages(library(survival))
options(digits = 12, width = 150)
cat("survival", as.character(packageVersion("survival")), "\n")

show <- function(name, x) { cat("##", name, "\n"); print(x) }

# ---------------------------------------------------------------- cox.zph, veteran
vfit <- coxph(Surv(time, status) ~ trt + celltype + karno + diagtime + age + prior, data = veteran)
show("veteran coef", coef(vfit))
for (tr in c("km", "rank", "identity")) show(paste("veteran zph", tr), cox.zph(vfit, transform = tr)$table)
show("veteran zph km terms=FALSE", cox.zph(vfit, terms = FALSE)$table)

# ---------------------------------------------------------------- cox.zph, Rossi (lifelines' copy)
args <- commandArgs(trailingOnly = TRUE)
rossi <- read.csv(args[1])
rfit <- coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, data = rossi)
show("rossi coef", coef(rfit))
for (tr in c("km", "rank", "identity")) show(paste("rossi zph", tr), cox.zph(rfit, transform = tr)$table)

# ---------------------------------------------------------------- cox.zph, lung
lfit <- coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung)
show("lung coef", coef(lfit)); show("lung se", sqrt(diag(vcov(lfit)))); show("lung n", lfit$n)
for (tr in c("km", "rank", "identity")) show(paste("lung zph", tr), cox.zph(lfit, transform = tr)$table)
lsfit <- coxph(Surv(time, status) ~ age + ph.ecog + strata(sex), data = lung)
show("lung strata(sex) coef", coef(lsfit))
show("lung strata(sex) zph km", cox.zph(lsfit)$table)
show("lung strata(sex) concordance", lsfit$concordance)

# ---------------------------------------------------------------- survfit.coxph step predictions
nd <- data.frame(age = c(50, 70), sex = c(1, 2), ph.ecog = c(0, 2))
sf <- survfit(lfit, newdata = nd)   # Efron baseline (ctype 2), stype 2: exp(-H)
tt <- c(100, 200, 200.5, 365, 500, 800)
show("lung survfit at times", summary(sf, times = tt, extend = TRUE)$surv)
rmean <- function(time, surv, tau) {  # exact integral of the step function up to tau
  keep <- time <= tau
  sum(diff(c(0, time[keep], tau)) * c(1, surv[keep]))
}
for (tau in c(365, 500.5)) show(paste("lung rmst", tau), apply(sf$surv, 2, function(s) rmean(sf$time, s, tau)))
sfs <- survfit(lsfit, newdata = data.frame(age = 60, ph.ecog = 1, sex = 2))
show("lung strata(sex) survfit sex=2 at times", summary(sfs, times = tt, extend = TRUE)$surv)

# ---------------------------------------------------------------- Kaplan-Meier bands
for (ct in c("log", "log-log", "plain")) {
  km <- survfit(Surv(time, status) ~ 1, data = lung, conf.type = ct)
  s <- summary(km, times = c(100, 365, 500))
  show(paste("lung km", ct), cbind(s$surv, s$lower, s$upper))
  show(paste("lung km median", ct), summary(km)$table[c("median", "0.95LCL", "0.95UCL")])
}

# ---------------------------------------------------------------- AFT (survreg)
for (dist in c("loglogistic", "weibull", "lognormal")) {
  a <- survreg(Surv(time, status) ~ age + sex + ph.ecog, data = lung, dist = dist)
  show(paste("lung survreg", dist), c(coef(a), log_scale = log(a$scale), loglik = a$loglik[2]))
}

# ---------------------------------------------------------------- zero durations
z <- data.frame(time = c(0, 0, 1, 2, 2, 3, 4, 5, 5, 6, 7, 8, 9, 10, 12, 0, 3, 6),
                status = c(1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1),
                x = c(2.1, 0.3, 1.7, 1.2, -0.4, 0.8, -1.1, 0.2, 0.5, -0.3, -0.9, 0.1, -1.5, -0.2, -2.0, 1.1, 0.6, -0.7))
show("zero km", summary(survfit(Surv(time, status) ~ 1, data = z), censored = TRUE)[c("time", "surv")])
zc <- coxph(Surv(time, status) ~ x, data = z)
show("zero cox", c(coef(zc), se = sqrt(vcov(zc))))

# ---------------------------------------------------------------- time-varying Cox on tmerge data
set.seed(20261201)
n <- 300
base <- data.frame(id = 1:n, x = rnorm(n), member = rbinom(n, 1, 0.4))
sw <- rexp(n, 1 / 8)                                 # time a satisfaction score changes
z1 <- round(runif(n, 1, 10)); z2 <- pmin(10, pmax(0, z1 + round(rnorm(n, 0, 2))))
haz0 <- exp(0.3 * base$x - 0.5 * base$member - 0.15 * z1)
haz1 <- exp(0.3 * base$x - 0.5 * base$member - 0.15 * z2)
t1 <- rexp(n, haz0 / 10)
t2 <- sw + rexp(n, haz1 / 10)
tt <- ifelse(t1 < sw, t1, t2); cens <- runif(n, 5, 30)
base$futime <- round(pmin(tt, cens), 2); base$status <- as.integer(tt <= cens)
cp <- tmerge(base[, c("id", "x", "member")], base, id = id, death = event(futime, status))
cp <- tmerge(cp, data.frame(id = 1:n, t0 = 0, z = z1), id = id, sat = tdc(t0, z))
cp <- tmerge(cp, data.frame(id = 1:n, sw = round(sw, 2), z = z2), id = id, sat = tdc(sw, z))
write.csv(cp[, c("id", "tstart", "tstop", "death", "x", "member", "sat")],
          "tests/reference/tmerge_cp.csv", row.names = FALSE)
tv <- coxph(Surv(tstart, tstop, death) ~ x + member + sat, data = cp)
show("tmerge rows", nrow(cp)); show("tmerge coef", coef(tv)); show("tmerge se", sqrt(diag(vcov(tv))))

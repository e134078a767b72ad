# R survival's numbers for the churn outputs pinned in tests/test_churn_pinned.py (issue 27: the
# corrected numbers are checked against R, not against their earlier values).
# Run from the repository root:
#   Rscript tests/reference/churn_pinned_r.R tests/reference/churn_pinned_input.csv.gz \
#     tests/reference/churn_pinned_tv.csv.gz tests/reference/churn_pinned_r.csv
# Input: the sample world's survival tables, one row per customer and start-stop rows
# (tests/reference/make_churn_pinned_r.py). Output: one row per pinned name (the names of
# compute_pins in tests/test_churn_pinned.py), value printed with 15 significant digits.
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
st <- read.csv(args[1])
st$segment <- factor(st$segment, levels = c("consumer", "premium", "small_business"))
out <- list()
put <- function(name, value) out[[name]] <<- unname(value)

# ---------------------------------------------------------------- Kaplan-Meier by NPS group
km <- survfit(Surv(duration, event) ~ nps_group, data = st, conf.type = "log-log")
q <- quantile(km, 0.5)
groups <- sub("nps_group=", "", names(km$strata))
inf <- function(x) ifelse(is.na(x), Inf, x)  # R leaves an unreached median or limit NA
for (i in seq_along(groups)) {
  put(paste0("km.", groups[i], ".median"), inf(q$quantile[i]))
  put(paste0("km.", groups[i], ".ci_low"), inf(q$lower[i]))
  put(paste0("km.", groups[i], ".ci_high"), inf(q$upper[i]))
}
s <- summary(km, times = c(3, 6, 12, 24))
for (i in seq_along(s$time)) {
  g <- sub("nps_group=", "", as.character(s$strata[i]))
  for (col in c("survival", "ci_low", "ci_high")) {
    v <- switch(col, survival = s$surv[i], ci_low = s$lower[i], ci_high = s$upper[i])
    put(sprintf("km.%s.%s@%g", g, col, s$time[i]), v)
  }
}
put("km.logrank", survdiff(Surv(duration, event) ~ nps_group, data = st)$chisq)

# ---------------------------------------------------------------- Cox (Efron), survfit.coxph
form <- Surv(duration, event) ~ overall_sat + loyalty_member + followed_up + segment
names_py <- c(overall_sat = "overall_sat", loyalty_member = "loyalty_member",
              followed_up = "followed_up", segmentpremium = "segment: premium",
              segmentsmall_business = "segment: small_business")
cfit <- coxph(form, data = st)
for (k in names(coef(cfit))) {
  put(paste0("cox.coef.", names_py[[k]]), coef(cfit)[[k]])
  put(paste0("cox.se.", names_py[[k]]), sqrt(diag(vcov(cfit)))[[k]])
}
put("cox.concordance", cfit$concordance[["concordance"]])
put("cox.aic", AIC(cfit))
sf <- survfit(cfit, newdata = st, se.fit = FALSE)  # ctype 2 (Efron), stype 2: one curve per row
put("cox.risk12.mean", mean(1 - summary(sf, times = 12, extend = TRUE)$surv))
rmst <- function(time, surv, tau) {  # exact area under a step function from 0 to tau
  keep <- time <= tau
  sum(diff(c(0, time[keep], tau)) * c(1, surv[keep]))
}
put("cox.rmst24.mean", mean(apply(sf$surv, 2, function(s) rmst(sf$time, s, 24))))

# ---------------------------------------------------------------- AFT (survreg)
for (dist in c("weibull", "lognormal", "loglogistic")) {
  a <- survreg(Surv(duration, event) ~ overall_sat + loyalty_member, data = st, dist = dist)
  put(paste0(dist, ".coef.overall_sat"), coef(a)[["overall_sat"]])
  put(paste0(dist, ".coef.loyalty_member"), coef(a)[["loyalty_member"]])
  put(paste0(dist, ".aic"), AIC(a))
}

# ---------------------------------------------------------------- out-of-sample evaluation
train <- st[st$test == 0, ]
test <- st[st$test == 1, ]
tfit <- coxph(form, data = train)
h <- 12
risk <- 1 - summary(survfit(tfit, newdata = test, se.fit = FALSE), times = h, extend = TRUE)$surv
lp <- predict(tfit, newdata = test)
put("ev.concordance", concordance(Surv(duration, event) ~ lp, data = test, reverse = TRUE)$concordance)
# IPCW Brier (Graf et al. 1999; pec's convention): censoring Kaplan-Meier with churn before
# censoring at tied times; a churner by h weighs 1 / G(T-), a customer still there at h 1 / G(h)
cens_km <- function(time, event) {
  t <- sort(unique(time))
  cens <- sapply(t, function(u) sum(time == u & event == 0))
  dead <- sapply(t, function(u) sum(time == u & event == 1))
  n <- sapply(t, function(u) sum(time >= u)) - dead
  list(t = t, G = cumprod(ifelse(n > 0, 1 - cens / pmax(n, 1), 1)))
}
G <- cens_km(test$duration, test$event)
G_at <- function(x, left) {  # G(x) or G(x-)
  i <- if (left) findInterval(x, G$t, left.open = TRUE) else findInterval(x, G$t)
  c(1, G$G)[i + 1]
}
brier <- function(surv_h) {
  case <- test$duration <= h & test$event == 1
  ctrl <- test$duration > h
  mean(ifelse(case, surv_h^2 / G_at(test$duration, TRUE), 0) +
       ifelse(ctrl, (1 - surv_h)^2 / G_at(h, FALSE), 0))
}
put("ev.brier", brier(1 - risk))
km_h <- function(d) summary(survfit(Surv(duration, event) ~ 1, data = d), times = h, extend = TRUE)$surv
put("ev.brier_null", brier(rep(km_h(test), nrow(test))))
r <- rank(risk, ties.method = "first")
dec <- cut(r, quantile(r, 0:10 / 10), include.lowest = TRUE, labels = FALSE)
put("ev.predicted.sum", sum(tapply(risk, dec, mean)))
put("ev.observed.sum", sum(sapply(1:10, function(k) 1 - km_h(test[dec == k, ]))))

# ---------------------------------------------------------------- time-varying Cox (start-stop)
tv <- read.csv(args[2])
tvfit <- coxph(Surv(start, stop, event) ~ overall_sat + loyalty_member, data = tv)
for (k in names(coef(tvfit))) {
  put(paste0("tv.coef.", k), coef(tvfit)[[k]])
  put(paste0("tv.se.", k), sqrt(diag(vcov(tvfit)))[[k]])
}

res <- data.frame(name = names(out), value = unlist(out))
write.csv(res, args[3], row.names = FALSE)
cat("survival", as.character(packageVersion("survival")), "\n")

# Kaplan-Meier medians and their limits by R survival quantile.survfit (conf.type="log"),
# for tests/test_churn_spec.py. Run: Rscript tests/reference/km_median_r.R > tests/reference/km_median_r.out
library(survival)
q <- function(time, status) { f <- survfit(Surv(time, status) ~ 1, conf.type="log"); quantile(f, 0.5) }
print(unlist(q(c(1,2,3,4), c(1,1,1,1))))
print(unlist(q(c(1,2,3,4), c(1,1,0,0))))
print(unlist(q(c(1,1,2,2,3,5,6,7), c(1,1,1,0,1,1,0,1))))
print(unlist(q(c(2,2,4,4,6,8), c(1,1,1,0,1,0))))
f <- survfit(Surv(time, status) ~ sex, data=lung, conf.type="log"); print(quantile(f, 0.5))
f <- survfit(Surv(time, status) ~ 1, data=lung, conf.type="log"); print(quantile(f, 0.5))
print(packageVersion("survival"))

# HC3 standard errors and t p-values by hand in base R (R 4.x, stats only), the computation of
# sandwich::vcovHC(m, type = "HC3") with lmtest::coeftest (MacKinnon & White 1985):
#   V = (X'X)^-1 X' diag(e_i^2 / (1 - h_ii)^2) X (X'X)^-1,  p = 2 pt(-|b / se|, n - k).
# Data: R datasets::attitude and datasets::mtcars. Run: Rscript tests/reference/hc3_penalty_reward.R
# The printed numbers are copied into tests/test_drivers_reference.py.
hc3 <- function(m) {
  X <- model.matrix(m); e <- residuals(m); h <- hatvalues(m)
  B <- solve(crossprod(X))
  V <- B %*% crossprod(X * (e / (1 - h))) %*% B
  se <- sqrt(diag(V)); t <- coef(m) / se
  cbind(coef = coef(m), se = se, p = 2 * pt(-abs(t), df.residual(m)))
}
options(digits = 10)

# penalty-reward contrast on attitude: rating on low (<= 55) / high (>= 68) dummies
a <- attitude
drivers <- c("complaints", "privileges", "learning", "raises")
d <- data.frame(rating = a$rating)
for (v in drivers) {
  d[[paste0(v, "__low")]] <- as.numeric(a[[v]] <= 55)
  d[[paste0(v, "__high")]] <- as.numeric(a[[v]] >= 68)
}
m <- lm(rating ~ ., data = d)
cat("penalty-reward, attitude, low <= 55, high >= 68\n")
print(hc3(m))
cat("r.squared", summary(m)$r.squared, "\n")

# drivers OLS on mtcars: mpg ~ am + vs + cyl (HC3 standard errors)
cat("\nmtcars mpg ~ am + vs + cyl\n")
print(hc3(lm(mpg ~ am + vs + cyl, data = mtcars)))

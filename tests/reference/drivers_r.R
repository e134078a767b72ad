# Every drivers output of tests/test_drivers_pinned.py, computed in R from the frozen answers
# (tests/reference/drivers_pinned_input.csv.gz) without cxmodels: lm / glm / MASS::polr on
# every subset of drivers, Shapley (LMG) values by the permutation-weight formula, Johnson's
# relative weights, sandwich::vcovHC(type = "HC3") with normal p-values (statsmodels'
# cov_type = "HC3"), and the penalty-reward dummies (Brandt 1987). Written by R 4.x with
# MASS, sandwich and jsonlite:
#
#   Rscript tests/reference/drivers_r.R tests/reference/drivers_r.json
#
# tests/test_drivers_pinned.py compares cxmodels with drivers_r.json and, where Rscript is
# installed, reruns this script and checks that it still writes the same numbers.

suppressPackageStartupMessages({
  library(MASS)
  library(sandwich)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
out_path <- if (length(args)) args[1] else "drivers_r.json"
here <- tryCatch(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))),
                 error = function(e) ".")
df <- read.csv(gzfile(file.path(here, "drivers_pinned_input.csv.gz")))
df$wt <- ifelse((seq_len(nrow(df)) - 1) %% 3 == 0, 2, 1)
ATTRS <- c("attr_product_quality", "attr_value_for_money", "attr_staff_competence",
           "attr_delivery_reliability", "attr_digital_experience")
A4 <- ATTRS[1:4]
SCALE <- c(1, 10)  # the codebook scale of the attr_* ratings

# R² of every subset of players (subset S at index sum(2^j, j in S)); a player is a vector of
# columns, `ctrl` always in the model; fit(cols) returns the model's R² (or pseudo-R²)
subset_r2 <- function(players, fit) {
  p <- length(players)
  sapply(0:(2^p - 1), function(mask) {
    cols <- unlist(players[bitwAnd(mask, 2^(0:(p - 1))) > 0])
    fit(cols)
  })
}

# Shapley values: sum over S not holding j of |S|! (p-|S|-1)! / p! [v(S+j) - v(S)]
shapley <- function(v, p) {
  sapply(0:(p - 1), function(j) {
    s <- 0
    for (mask in 0:(2^p - 1)) {
      if (bitwAnd(mask, 2^j) > 0) next
      k <- sum(bitwAnd(mask, 2^(0:(p - 1))) > 0)
      s <- s + factorial(k) * factorial(p - k - 1) / factorial(p) *
        (v[mask + 2^j + 1] - v[mask + 1])
    }
    s
  })
}

first_last <- function(v, p) {
  full <- 2^p - 1
  list(first = sapply(0:(p - 1), function(j) v[2^j + 1] - v[1]),
       last = sapply(0:(p - 1), function(j) v[full + 1] - v[full - 2^j + 1]))
}

lm_r2 <- function(y, ctrl = character(), w = NULL) {
  function(cols) {
    cols <- c(ctrl, cols)
    if (!length(cols)) return(0)
    f <- reformulate(cols, y)
    summary(if (is.null(w)) lm(f, df) else lm(f, df, weights = df[[w]]))$r.squared
  }
}

wsd <- function(x, w) {
  if (is.null(w)) return(sd(x))
  sqrt(cov.wt(cbind(x), wt = w)$cov[1, 1])
}
wmean <- function(x, w) if (is.null(w)) mean(x) else weighted.mean(x, w)

hc3_table <- function(m, names) {
  V <- vcovHC(m, type = "HC3")
  b <- coef(m)[names]
  se <- sqrt(diag(V))[names]
  list(coef = unname(b), se = unname(se), p_value = unname(2 * pnorm(-abs(b / se))))
}

# Johnson (2000): weights from the correlation matrix R of [drivers, outcome]
relative_weights <- function(R, cols, y) {
  Rxx <- R[cols, cols]
  rxy <- R[cols, y]
  e <- eigen(Rxx, symmetric = TRUE)
  lam <- e$vectors %*% diag(sqrt(e$values)) %*% t(e$vectors)
  beta <- e$vectors %*% diag(1 / sqrt(e$values)) %*% t(e$vectors) %*% rxy
  as.vector(lam^2 %*% beta^2)
}

ols_case <- function(drivers, y = "overall_sat", ctrl = character(), groups = list(),
                     w = NULL) {
  grouped <- unlist(groups)
  players <- c(as.list(setdiff(drivers, grouped)), groups)
  names(players) <- c(setdiff(drivers, grouped), names(groups))
  cols <- c(setdiff(drivers, grouped), grouped)
  v <- subset_r2(players, lm_r2(y, ctrl, w))
  r2_ctrl <- if (length(ctrl)) lm_r2(y, w = w)(ctrl) else 0
  p <- length(players)
  m <- if (is.null(w)) lm(reformulate(c(cols, ctrl), y), df) else
    lm(reformulate(c(cols, ctrl), y), df, weights = df[[w]])
  single <- names(players)[!(names(players) %in% names(groups))]
  hc3 <- hc3_table(m, single)
  pad <- function(x) c(x, rep(NA, length(groups)))
  sdy <- wsd(df[[y]], if (is.null(w)) NULL else df[[w]])
  wt <- if (is.null(w)) NULL else df[[w]]
  std <- hc3$coef * sapply(single, function(d) wsd(df[[d]], wt)) / sdy
  perf <- sapply(single, function(d) 100 * (wmean(df[[d]], wt) - SCALE[1]) / diff(SCALE))
  fl <- first_last(v, p)
  tab <- list(coef = pad(hc3$coef), std_coef = pad(unname(std)), se = pad(hc3$se),
              p_value = pad(hc3$p_value), shapley = shapley(v, p), first = fl$first,
              last = fl$last, performance = pad(unname(perf)))
  if (!length(ctrl) && !length(groups)) {
    # standardised slopes of the (weighted) regression, and its correlations
    R <- cov.wt(df[, c(drivers, y)], wt = if (is.null(wt)) rep(1, nrow(df)) else wt,
                cor = TRUE)$cor
    beta <- hc3$coef * sapply(single, function(d) wsd(df[[d]], wt)) / sdy
    tab$beta_squared <- unname(beta^2)
    tab$pratt <- unname(beta * R[drivers, y])
    tab$relative_weights <- relative_weights(R, drivers, y)
  }
  list(driver = names(players), table = tab, r2 = v[2^p], r2_controls = r2_ctrl,
       n = nrow(df), subset_r2 = v)
}

mcfadden <- function(fit_ll, null_ll) function(cols) {
  if (!length(cols)) return(0)
  1 - fit_ll(cols) / null_ll
}

model_case <- function(drivers, fit) {
  # fit(cols) returns list(ll, coef, se) of the model on those columns (cols empty: null model)
  null_ll <- fit(character())$ll
  v <- subset_r2(as.list(drivers), mcfadden(function(cols) fit(cols)$ll, null_ll))
  full <- fit(drivers)
  p <- length(drivers)
  fl <- first_last(v, p)
  z <- full$coef / full$se
  list(driver = drivers, r2 = v[2^p], r2_controls = 0, n = nrow(df), subset_r2 = v,
       table = list(coef = unname(full$coef), se = unname(full$se),
                    p_value = unname(2 * pnorm(-abs(z))), shapley = shapley(v, p),
                    first = fl$first, last = fl$last,
                    performance = unname(sapply(drivers, function(d)
                      100 * (mean(df[[d]]) - SCALE[1]) / diff(SCALE)))))
}

polr_fit <- function(cols) {
  f <- reformulate(if (length(cols)) cols else "1", "factor(overall_sat)")
  m <- polr(f, df, method = "logistic", Hess = TRUE,
            control = list(reltol = 1e-14, maxit = 10000))
  if (!length(cols)) return(list(ll = as.numeric(logLik(m))))
  list(ll = as.numeric(logLik(m)), coef = coef(m)[cols], se = sqrt(diag(vcov(m)))[cols])
}

glm_fit <- function(target) function(cols) {
  f <- reformulate(if (length(cols)) cols else "1", target)
  m <- glm(f, binomial, df, control = glm.control(epsilon = 1e-14, maxit = 100))
  list(ll = as.numeric(logLik(m)), coef = coef(m)[cols],
       se = sqrt(diag(vcov(m)))[cols])
}

penalty_reward <- function(y = "overall_sat", low = 4, high = 8, threshold = 0.3, min_n = 30) {
  attrs <- grep("^attr_", names(df), value = TRUE)
  X <- do.call(cbind, lapply(attrs, function(a) {
    d <- cbind(as.numeric(df[[a]] <= low), as.numeric(df[[a]] >= high))
    colnames(d) <- paste0(a, c("__low", "__high"))
    d
  }))
  m <- lm(df[[y]] ~ X)
  names(m$coefficients) <- sub("^X", "", names(m$coefficients))
  lows <- paste0(attrs, "__low")
  highs <- paste0(attrs, "__high")
  V <- vcovHC(m, type = "HC3")
  colnames(V) <- rownames(V) <- names(coef(m))
  pen <- coef(m)[lows]
  rew <- coef(m)[highs]
  se_l <- sqrt(diag(V))[lows]
  se_h <- sqrt(diag(V))[highs]
  ia <- (rew - abs(pen)) / (rew + abs(pen))
  n_low <- colSums(X[, lows])
  n_high <- colSums(X[, highs])
  n_mid <- nrow(df) - n_low - n_high
  cls <- ifelse(ia < -threshold, "basic", ifelse(ia > threshold, "excitement", "performance"))
  bad <- pmin(n_low, n_mid, n_high) < min_n | pen > 0 | rew < 0
  cls[bad] <- "unclear"
  list(driver = attrs, classification = unname(cls), r2 = summary(m)$r.squared,
       n = nrow(df), low = low, high = high,
       table = list(penalty = unname(pen), penalty_se = unname(se_l),
                    penalty_p = unname(2 * pnorm(-abs(pen / se_l))), reward = unname(rew),
                    reward_se = unname(se_h), reward_p = unname(2 * pnorm(-abs(rew / se_h))),
                    impact_asymmetry = unname(ia), share_low = unname(n_low) / nrow(df),
                    share_high = unname(n_high) / nrow(df), n_low = unname(n_low),
                    n_mid = unname(n_mid), n_high = unname(n_high)))
}

segments_case <- function(drivers, y = "overall_sat") {
  segs <- sort(unique(df$segment))
  all <- df
  out <- lapply(segs, function(s) {
    df <<- all[all$segment == s, ]
    v <- subset_r2(as.list(drivers), lm_r2(y))
    sh <- shapley(v, length(drivers))
    100 * sh / sum(sh)
  })
  df <<- all
  names(out) <- segs
  list(segment = segs, driver = drivers, share = out)
}

df$promoter <- as.numeric(df$nps >= 9)
df$detractor <- as.numeric(df$nps <= 6)
res <- list(
  ols = ols_case(ATTRS),
  ols_weights = ols_case(ATTRS, w = "wt"),
  ols_controls = ols_case(A4, ctrl = ATTRS[5]),
  ols_groups = ols_case(ATTRS, groups = list(service = ATTRS[2:3])),
  ordinal = model_case(A4, polr_fit),
  logit_promoter = model_case(A4, glm_fit("promoter")),
  logit_detractor = model_case(A4, glm_fit("detractor")),
  penalty_reward = penalty_reward(),
  compare_segments = segments_case(A4[1:3]),
  r_version = R.version.string,
  packages = list(MASS = as.character(packageVersion("MASS")),
                  sandwich = as.character(packageVersion("sandwich")))
)
writeLines(toJSON(res, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE), out_path)
cat("wrote", out_path, "\n")

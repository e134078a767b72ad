# Reference values for tests/test_weights.py, from R and survey (versions printed first).
# Run: Rscript tests/reference/survey_rake_r.R > tests/reference/survey_rake_r.out
# The Python constants in tests/reference/weights_r.py were copied from this output.
# api is survey's data set: the tests export apiclus1 and apipop with Rscript at test time.
# rake's default epsilon (1 unit of a total) stops before the fixed point; a tight epsilon
# gives the weights cx.survey_weights converges to.
suppressPackageStartupMessages(library(survey))
options(digits = 15, width = 150)
cat("R", as.character(getRversion()), "survey", as.character(packageVersion("survey")), "\n")
show <- function(name, x) { cat("##", name, "\n"); print(x) }
data(api)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
r <- rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide),
          control = list(maxit = 100, epsilon = 1e-13))
w <- weights(r)
show("rake weights by stype x sch.wide", tapply(w, paste(apiclus1$stype, apiclus1$sch.wide), unique))
show("rake sum", sum(w))
show("rake svymean api00", coef(svymean(~api00, r)))
show("rake kish deff", length(w) * sum(w^2) / sum(w)^2)
lin <- calibrate(dclus1, ~stype + sch.wide, c(6194, 755, 1018, 5122), calfun = "linear")
show("linear weights by stype x sch.wide", tapply(weights(lin), paste(apiclus1$stype, apiclus1$sch.wide), unique))
lg <- calibrate(dclus1, ~stype + sch.wide, c(6194, 755, 1018, 5122), calfun = "logit",
                bounds = c(0.5, 2), epsilon = 1e-12, maxit = 200)
show("logit weights by stype x sch.wide", tapply(weights(lg), paste(apiclus1$stype, apiclus1$sch.wide), unique))

"""lme4 reference values for tests/test_multilevel.py.

Source: R 4.2.2, lme4 1.1-31, printed by tests/reference/multilevel_lme4.R (its output is
tests/reference/multilevel_lme4.out), copied at 15 significant digits. Data: lme4's
``sleepstudy`` (the tests export it with Rscript at test time). Fits:
``lmer(Reaction ~ Days + (Days | Subject))`` ("slopes") and ``lmer(Reaction ~ Days +
(1 | Subject))`` ("intercept"), REML and ML, bobyqa with rhoend = 1e-12.
"""

# (model, method) -> fixef, se (sqrt diag vcov), VarCorr as (intercept var, slope var,
# covariance, residual var), logLik, first three subjects' conditional modes and the
# conditional sd of the intercept mode.
LME4 = {
    ("slopes", "reml"): {
        "fixef": [251.405104848486, 10.467285959596],
        "se": [6.82455577627583, 1.54578893242985],
        "vcov": [612.08974827466864, 35.07166234421351, 9.60433547475486, 654.94104068196930],
        "loglik": -871.814135979246,
        "ranef": [
            [2.25856550059349, 9.19897190422548],
            [-40.39857692492454, -8.61970318296016],
            [-38.96024580074044, -5.44887991716209],
        ],
        "ranef_sd": 12.0708365073543,
    },
    ("slopes", "ml"): {
        "fixef": [251.4051048484840, 10.4672859595955],
        "se": [6.63227642115722, 1.50223679257189],
        "vcov": [565.5152710426986, 32.6821976138241, 11.0554144585638, 654.9410375801729],
        "loglik": -875.969672231599,
        "ranef": [
            [2.81568222227788, 9.07553412032890],
            [-40.04848528404528, -8.64406774192686],
            [-38.43315145598318, -5.51337914805325],
        ],
        "ranef_sd": 11.8729537437249,
    },
    ("intercept", "reml"): {
        "fixef": [251.4051048484839, 10.4672859595959],
        "se": [9.746716154609675, 0.804221430123241],
        "vcov": [1378.178472626096, None, None, 960.456581374164],
        "loglik": -893.23254269746,
        "ranef": [[40.7837097524488], [-77.8495536559960], [-63.1085672790667]],
        "ranef_sd": 9.4756681228913,
    },
    ("intercept", "ml"): {
        "fixef": [251.4051048484855, 10.4672859595959],
        "se": [9.50618530854568, 0.80173542036916],
        "vcov": [1296.870086134542, None, None, 954.527831147651],
        "loglik": -897.039321502613,
        "ranef": [[40.6350966816728], [-77.5658751653093], [-62.8786039424211]],
        "ranef_sd": 9.42915024626278,
    },
}


# tests/reference/multilevel_glmer.R (output: multilevel_glmer.out): glmer(sick ~ late +
# (1 | herd), family = binomial) on lme4's cbpp as one 0/1 row per animal, Laplace (nAGQ = 1),
# bobyqa with rhoend = 1e-12 and tolPwrss = 1e-13. glm_loglik: the model without herds.
GLMER = {
    "n": 842,
    "fixef": [-1.39907507372347, -1.17420042155991],
    "se": [0.233184468342819, 0.238642551533902],
    "theta": 0.64593610917497,
    "loglik": -278.349814351132,
    "ranef": [0.605600518318386, -0.268247276355694, 0.383175362778878],
    "ranef_sd": [0.349290879036910, 0.368442011952061, 0.296212729220166],
    "glm_loglik": -285.471524048413,
}

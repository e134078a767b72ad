"""R survival reference values for tests/test_churn_r.py.

Source: R 4.2.2, survival 3.5-3, printed by tests/reference/churn_survival_r.R (its output is
tests/reference/churn_survival_r.out); copied at 12 significant digits. Data: R survival's
``lung`` and ``veteran`` (the tests read lung from lifelines' copy, ``load_lung``, and Rossi from
lifelines' ``rossi.csv``, which the R script reads too); ``tmerge_cp.csv`` is synthetic data made by
the R script with ``tmerge``.
"""

# cox.zph(coxph(Surv(time, status) ~ trt + celltype + karno + diagtime + age + prior, veteran),
#         transform = ...)$table: chisq per term and GLOBAL
VETERAN_ZPH = {
    "km": {
        "trt": 0.2643888357543,
        "celltype": 15.2273639238783,
        "karno": 12.9351978287468,
        "diagtime": 0.0128893707072,
        "age": 1.8288266094160,
        "prior": 2.1655663303672,
        "GLOBAL": 34.5524911057329,
    },
    "rank": {
        "trt": 0.27565743754987,
        "celltype": 15.39790758835232,
        "karno": 13.53154748100789,
        "diagtime": 0.00766155369695,
        "age": 1.76999342881453,
        "prior": 2.23094405582437,
        "GLOBAL": 35.22253917326762,
    },
    "identity": {
        "trt": 7.62648174465e-04,
        "celltype": 1.89076145685e01,
        "karno": 6.14092003173e00,
        "diagtime": 5.74504887881e-02,
        "age": 7.72605956283e-01,
        "prior": 1.53898602891e00,
        "GLOBAL": 2.87776870613e01,
    },
}
VETERAN_ZPH_DF = {"celltype": 3, "GLOBAL": 8}

# cox.zph(coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, rossi), ...)
ROSSI_COEF = {
    "fin": -0.3794221664859,
    "age": -0.0574377426841,
    "race": 0.3138997878425,
    "wexp": -0.1497956976665,
    "mar": -0.4337038779373,
    "paro": -0.0848710825004,
    "prio": 0.0914970809853,
}
ROSSI_ZPH = {
    "km": {
        "fin": 0.0624297513581,
        "age": 5.9739816534184,
        "race": 2.0682653874805,
        "wexp": 4.2245956334216,
        "mar": 1.0110215644358,
        "paro": 0.0183832991690,
        "prio": 0.5205842503030,
        "GLOBAL": 17.6944152544550,
    },
    "rank": {
        "fin": 1.3838084514070,
        "age": 0.8964214615663,
        "race": 2.2599781512000,
        "wexp": 4.1596837531657,
        "mar": 0.0895921418466,
        "paro": 0.0218516556887,
        "prio": 1.6408034519445,
        "GLOBAL": 11.0251834071226,
    },
    "identity": {
        "fin": 0.0089505587513,
        "age": 6.6159437892942,
        "race": 2.1444262567845,
        "wexp": 3.8767551246737,
        "mar": 1.0313483187116,
        "paro": 0.0281765987231,
        "prio": 0.4247983963029,
        "GLOBAL": 18.1826870391293,
    },
}

# coxph(Surv(time, status) ~ age + sex + ph.ecog, lung): n = 227 (one missing ph.ecog)
LUNG_COEF = {"age": 0.0110667645601, "sex": -0.5526123957036, "ph.ecog": 0.4637284753704}
LUNG_SE = {"age": 0.0092674110137, "sex": 0.1677390537873, "ph.ecog": 0.1135772661620}
LUNG_ZPH = {
    "km": {
        "age": 0.187987673652,
        "sex": 2.305437227405,
        "ph.ecog": 2.054248774054,
        "GLOBAL": 4.463657588759,
    },
    "rank": {
        "age": 0.11729150699,
        "sex": 2.04469468024,
        "ph.ecog": 2.54487839263,
        "GLOBAL": 4.71068014129,
    },
    "identity": {
        "age": 0.152350317254,
        "sex": 2.491913217107,
        "ph.ecog": 1.578235238377,
        "GLOBAL": 4.119382951479,
    },
}
# coxph(Surv(time, status) ~ age + ph.ecog + strata(sex), lung)
LUNG_STRATA_COEF = {"age": 0.0105662546009, "ph.ecog": 0.4624244343583}
LUNG_STRATA_ZPH_KM = {"age": 0.133470723863, "ph.ecog": 2.182400689480, "GLOBAL": 2.200478902080}
LUNG_STRATA_CONCORDANCE = 0.605849182835  # fit$concordance["concordance"], pairs within strata

# survfit(lfit, newdata = data.frame(age = c(50, 70), sex = c(1, 2), ph.ecog = c(0, 2)))
# summary(..., times = LUNG_TIMES, extend = TRUE)$surv: rows = times, columns = profiles
LUNG_TIMES = [100, 200, 200.5, 365, 500, 800]
LUNG_SURVFIT = [
    [0.913123700491, 0.8479192404910],
    [0.776221021341, 0.6314001124270],
    [0.776221021341, 0.6314001124270],
    [0.541013808185, 0.3278894564905],
    [0.428435597676, 0.2146887117412],
    [0.166314207150, 0.0385348179045],
]
# exact area under those step curves up to tau (computed in R from sf$time, sf$surv)
LUNG_RMST = {365: [291.844038039, 248.242333719], 500.5: [357.296629321, 284.576703307]}
# survfit(lsfit, newdata = data.frame(age = 60, ph.ecog = 1, sex = 2)) at LUNG_TIMES
LUNG_STRATA_SURVFIT_SEX2 = [
    0.9264728664190,
    0.8010940570923,
    0.8010940570923,
    0.5388315745536,
    0.4274111748998,
    0.0910073798608,
]

# survfit(Surv(time, status) ~ 1, lung, conf.type = ...): (surv, lower, upper) at 100, 365, 500
LUNG_KM_TIMES = [100, 365, 500]
LUNG_KM = {
    "log": [
        (0.863968967645, 0.820584892081, 0.909646746190),
        (0.409241624460, 0.344721581796, 0.485837603547),
        (0.293269193712, 0.231982138262, 0.370747595588),
    ],
    "log-log": [
        (0.863968967645, 0.812222319754, 0.902310180515),
        (0.409241624460, 0.338714269088, 0.478380767647),
        (0.293269193712, 0.226503677118, 0.363028599684),
    ],
    "plain": [
        (0.863968967645, 0.819457733914, 0.908480201377),
        (0.409241624460, 0.339028583848, 0.479454665072),
        (0.293269193712, 0.224517932798, 0.362020454625),
    ],
}
LUNG_KM_MEDIAN = {"log": (310, 285, 363), "log-log": (310, 284, 361), "plain": (310, 284, 361)}

# survreg(Surv(time, status) ~ age + sex + ph.ecog, lung, dist = ...): coefficients, log(scale)
LUNG_SURVREG = {
    "loglogistic": {
        "Intercept": 5.93668692062,
        "age": -8.07991943043e-03,
        "sex": 4.86623570896e-01,
        "ph.ecog": -4.04615511574e-01,
        "log_scale": -6.23357152242e-01,
    },
    "weibull": {
        "Intercept": 6.27343525200,
        "age": -7.47543940841e-03,
        "sex": 4.01090541174e-01,
        "ph.ecog": -3.39638098297e-01,
        "log_scale": -3.13192730297e-01,
    },
    "lognormal": {
        "Intercept": 6.49478672723,
        "age": -1.91818681019e-02,
        "sex": 5.21952878947e-01,
        "ph.ecog": -3.55566670503e-01,
        "log_scale": 2.82322737268e-02,
    },
}

# zero durations: survfit and coxph on ZERO_DATA
ZERO_DATA = {
    "time": [0, 0, 1, 2, 2, 3, 4, 5, 5, 6, 7, 8, 9, 10, 12, 0, 3, 6],
    "status": [1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1],
    "x": [
        2.1,
        0.3,
        1.7,
        1.2,
        -0.4,
        0.8,
        -1.1,
        0.2,
        0.5,
        -0.3,
        -0.9,
        0.1,
        -1.5,
        -0.2,
        -2.0,
        1.1,
        0.6,
        -0.7,
    ],
}
ZERO_KM_TIMES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]
ZERO_KM_SURV = [
    0.888888888889,
    0.829629629630,
    0.770370370370,
    0.641975308642,
    0.641975308642,
    0.499314128944,
    0.427983539095,
    0.342386831276,
    0.256790123457,
    0.256790123457,
    0.128395061728,
    0.128395061728,
]
ZERO_COX = (2.478504847593, 0.750845937204)  # coef, se

# coxph(Surv(tstart, tstop, death) ~ x + member + sat, data = tmerge_cp.csv)
TMERGE_ROWS = 508
TMERGE_COEF = {"x": 0.237757236593, "member": -0.546796298807, "sat": -0.187163650899}
TMERGE_SE = {"x": 0.0786089758993, "member": 0.1819150647839, "sat": 0.0299342650510}

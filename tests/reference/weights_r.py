"""R survey reference values for tests/test_weights.py.

Source: R 4.2.2, survey 4.1.1, printed by tests/reference/survey_rake_r.R (its output is
tests/reference/survey_rake_r.out), copied at 15 significant digits. Data: survey's ``api``
(``apiclus1`` with design weights ``pw``; totals of ``apipop``: stype E 4421, H 755, M 1018;
sch.wide No 1072, Yes 5122). The tests export both tables with Rscript at test time.
"""

# weights per stype x sch.wide cell (every school of a cell gets the same weight)
RAKE = {"E No": 39.8392362471298, "E Yes": 29.8706754926847, "H No": 67.1255292411947,
        "H Yes": 50.3294011160392, "M No": 49.0690721638573, "M Yes": 36.7910248640700}  # fmt: skip
RAKE_MEAN_API00 = 641.23032092682
RAKE_KISH_DEFF = 1.05165669560383
LINEAR = {"E No": 41.2367391616423, "E Yes": 29.7436297731840, "H No": 62.9588716623600,
          "H Yes": 51.4657622739018, "M No": 48.5353143841516, "M Yes": 37.0422049956934}  # fmt: skip
# calibrate(calfun = "logit", bounds = c(0.5, 2))
LOGIT = {"E No": 41.3410324091559, "E Yes": 29.7341485688646, "H No": 60.6356028771606,
         "H Yes": 52.0993810335016, "M No": 49.2501003073308, "M Yes": 36.7058351494913}  # fmt: skip

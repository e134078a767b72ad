"""Every clear/unclear verdict in a sentence agrees with the interval (or p and threshold)
printed beside it, at the result's own level, in English and in Persian.

Each sentence is read back as a reader would: its printed level, its printed interval (or p
and threshold) and its verdict word; the printed interval must exclude the null value exactly
when the sentence calls the result clear. Seeds and sizes are chosen so that some verdicts
differ between the levels 0.90 and 0.95 (checked, so the test keeps its teeth).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx
from cxmodels._format import excludes, fmt_interval, interval_digits
from cxmodels.data.text import to_ascii_digits
from cxmodels.i18n import language
from cxmodels.reports import widgets
from cxmodels.structural.indices import IPMAResult

LEVELS = (0.90, 0.95)
LANGS = ("en", "fa")
_BIDI = dict.fromkeys(
    map(ord, "\u2066\u2067\u2068\u2069\u200e\u200f\u202a\u202b\u202c\u202d\u202e")
)
NUM = r"[+-]?\d[\d,]*(?:\.\d+)?"
INTERVAL = re.compile(rf"({NUM})\s+(?:to|تا)\s+({NUM})")
LEVEL = re.compile(
    r"(\d+(?:\.\d+)?)\s*%\s*(?:CI|interval)|بازه(?:ٔ|\u200cهای)(?:\s*اطمینان)?\s*(\d+(?:\.\d+)?)\s*%"
)
P = re.compile(rf"p\s*([=<]|<=)\s*({NUM})")

#: (clear, unclear) words per kind of sentence and language.
WORDS = {
    "channel": {
        "en": ("a clear effect", "the effect is unclear"),
        "fa": ("اثر روشن است", "اثر روشن نیست"),
    },
    "effect": {
        "en": ("The interval excludes zero", "The interval includes zero"),
        "fa": ("بازه صفر را در بر نمی‌گیرد", "بازه صفر را در بر می‌گیرد"),
    },
    "kpi": {"en": ("a clear change", "no clear change"), "fa": ("تغییری روشن", "بدون تغییر روشن")},
    "hazard": {"en": ("CI", "No clear association"), "fa": ("بازهٔ اطمینان", "رابطهٔ روشنی")},
    "logrank": {
        "en": ("curves differ", "do not clearly differ"),
        "fa": ("متفاوت‌اند", "تفاوت روشنی ندارند"),
    },
    "mga": {"en": ("a clear difference", "No path differs"), "fa": ("تفاوتی روشن", "هیچ مسیری")},
}


def plain(s: str) -> str:
    """A sentence with ASCII digits, ``%`` and no bidi controls (Persian read back)."""
    return to_ascii_digits(s.translate(_BIDI)).replace("\u066a", "%")


def number(s: str) -> float:
    return float(s.replace(",", ""))


def verdict(sentence: str, kind: str, lang: str) -> bool | None:
    """True (clear), False (unclear) or None (neither word) from the sentence's own words."""
    clear, unclear = WORDS[kind][lang]
    has_c, has_u = clear in sentence, unclear in sentence
    assert not (has_c and has_u), sentence
    return True if has_c else False if has_u else None


def printed_interval(sentence: str) -> tuple[float, float]:
    m = INTERVAL.search(plain(sentence))
    assert m, f"no interval in {sentence!r}"
    return number(m.group(1)), number(m.group(2))


def printed_level(sentence: str) -> float:
    m = LEVEL.search(plain(sentence))
    assert m, f"no level in {sentence!r}"
    return float(m.group(1) or m.group(2)) / 100


def check_interval_sentence(sentence: str, kind: str, lang: str, level: float, null=0.0):
    """The sentence's level is the result's; its verdict word agrees with its printed interval.
    Returns the verdict."""
    clear = verdict(sentence, kind, lang)
    assert clear is not None, sentence
    assert printed_level(sentence) == pytest.approx(level), sentence
    lo, hi = printed_interval(sentence)
    assert (lo > null or hi < null) == clear, sentence
    return clear


def check_p_sentence(sentence: str, kind: str, lang: str, alpha: float) -> bool:
    """The printed threshold is 1 - level; the verdict agrees with the printed p."""
    clear = verdict(sentence, kind, lang)
    assert clear is not None, sentence
    s = plain(sentence)
    assert number(re.findall(NUM, s)[-1]) == pytest.approx(alpha), sentence
    m = P.search(s)
    if m:
        op, p = m.group(1), number(m.group(2))
        assert (p < alpha if op == "=" else p <= alpha) == clear, sentence
    return clear


def both_languages(fn):
    """``fn()`` in English and in Persian: ``{lang: fn()}``."""
    out = {}
    for lang in LANGS:
        with language(lang):
            out[lang] = fn()
    return out


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


# ----------------------------------------------------------------------------- worlds
@pytest.fixture(scope="module")
def survival():
    return _quiet(cx.survival_table, _quiet(cx.generate, 2000, seed=3))


@pytest.fixture(scope="module")
def kpi_world():
    return _quiet(cx.generate, 2000, seed=12)


@pytest.fixture(scope="module")
def effect_world():
    return _quiet(cx.generate, 2000, seed=7)


@pytest.fixture(scope="module")
def pls_world():
    return _quiet(cx.generate, 3000, seed=1)


def _differ(counts: dict) -> None:
    """The two levels must give different verdicts somewhere (else the test proves little)."""
    assert counts[0.90] != counts[0.95], counts


# ----------------------------------------------------------------------------- churn
COX_COVARIATES = ["overall_sat", "loyalty_member", "segment", "region", "age_band"]


def test_cox_hazard_verdicts_follow_the_fit_level(survival):
    covs = [c for c in COX_COVARIATES if c in survival]
    counts = {}
    for level in LEVELS:
        res = _quiet(cx.fit_churn, survival, covs, alpha=1 - level)
        table_clear = sum(bool(excludes(r.hr_low, r.hr_high, 1.0)) for r in res.table.itertuples())
        for lang, fnd in both_languages(lambda r=res: r.findings().findings).items():
            clear = [s for s in fnd if verdict(s, "hazard", lang) is True]
            unclear = [s for s in fnd if verdict(s, "hazard", lang) is False]
            for s in clear:
                check_interval_sentence(s, "hazard", lang, level, null=1.0)
            for s in unclear:
                assert printed_level(s) == pytest.approx(level), s
            assert len(clear) == table_clear
        counts[level] = table_clear
    _differ(counts)


def test_kaplan_meier_logrank_at_alpha(survival):
    counts = {}
    for level in LEVELS:
        km = cx.kaplan_meier(survival, by="region", alpha=1 - level)
        for lang, fnd in both_languages(lambda k=km: k.findings().findings).items():
            after = fnd[:-1]
            assert after and all(printed_level(s) == pytest.approx(level) for s in after)
            counts[level] = check_p_sentence(fnd[-1], "logrank", lang, 1 - level)
    _differ(counts)


# ----------------------------------------------------------------------------- metrics
def test_kpi_change_verdicts_follow_the_level(kpi_world):
    counts = {}
    for level in LEVELS:
        k = _quiet(cx.metrics.kpis, kpi_world, level=level)
        n_clear = 0
        for lang, fnd in both_languages(lambda k=k: cx.metrics.kpi_findings(k).findings).items():
            assert len(fnd) == len(k)
            for s in fnd:
                assert printed_level(s) == pytest.approx(level), s
                sep = {"en": "against the previous wave", "fa": "نسبت به موج پیشین"}[lang]
                change = s.split(sep, 1)[1]
                n_clear += check_interval_sentence(change, "kpi", lang, level)
        counts[level] = n_clear
    _differ(counts)


# ----------------------------------------------------------------------------- follow-up
def test_follow_up_effect_level_and_verdict(effect_world):
    for level in LEVELS:
        res = _quiet(
            cx.follow_up_effect,
            effect_world,
            outcome="churn_within",
            bootstrap=60,
            seed=1,
            level=level,
        )
        assert res.level == level
        a = res.estimate("aipw")
        for lang, fnd in both_languages(lambda r=res: r.findings().findings).items():
            lead = fnd[0]
            assert printed_level(lead) == pytest.approx(level), lead
            lo, hi = printed_interval(lead)
            said = [verdict(s, "effect", lang) for s in fnd]
            clear = [v for v in said if v is not None]
            assert clear == [lo > 0 or hi < 0] == [excludes(a.ci_low, a.ci_high)], fnd
        conclusion = both_languages(res.conclusion)
        assert printed_level(conclusion["fa"]) == pytest.approx(level)


def test_follow_up_by_channel_verdicts(effect_world):
    counts = {}
    for level in LEVELS:
        bc = _quiet(
            cx.effects.effect_by_channel,
            effect_world,
            outcome="churn_within",
            bootstrap=60,
            seed=1,
            level=level,
        )
        n = 0
        for lang, fnd in both_languages(
            lambda b=bc: widgets.channel_findings(b, "churn_within").findings
        ).items():
            per_channel = [s for s in fnd if verdict(s, "channel", lang) is not None]
            assert len(per_channel) == bc["estimate"].notna().sum()
            n = sum(check_interval_sentence(s, "channel", lang, level) for s in per_channel)
        counts[level] = n
    _differ(counts)


# ----------------------------------------------------------------------------- PLS
def test_pls_multigroup_at_one_minus_level(pls_world):
    counts = {}
    for level in LEVELS:
        m = _quiet(
            cx.structural.compare_pls,
            pls_world,
            cx.structural.ECSI_SYNTAX,
            "segment",
            permutations=200,
            seed=1,
            level=level,
        )
        clear_rows = int((m.table["p_value"] < 1 - level).sum())
        for lang, fnd in both_languages(lambda m=m: m.findings().findings).items():
            verdicts = [check_p_sentence(s, "mga", lang, 1 - level) for s in fnd]
            assert sum(verdicts) == clear_rows
        counts[level] = clear_rows
    _differ(counts)


# ----------------------------------------------------------------------------- item 2
def test_interval_never_prints_a_bound_as_the_null():
    assert fmt_interval(-0.07, -0.004, signed=True) == "-0.070 to -0.004"
    assert fmt_interval(0.8, 0.9996, null=1.0) == "0.8000 to 0.9996"
    assert fmt_interval(-0.0004, 0.5) == "-0.0004 to 0.5000"
    assert interval_digits(0.1, 0.5, 0.0) == 2


def _by_channel(rows, outcome="churn_within", level=0.95) -> pd.DataFrame:
    bc = pd.DataFrame(rows, columns=["channel", "estimate", "ci_low", "ci_high", "n_treated"])
    bc.attrs.update(outcome=outcome, level=level)
    return bc


def test_channel_verdict_decided_on_the_unrounded_interval():
    """The report's case: email "-0.07 to +0.00" called unclear while its interval excluded 0."""
    bc = _by_channel([("email", -0.035, -0.0712, -0.0041, 400), ("sms", 0.01, -0.02, 0.04, 300)])
    for lang, fnd in both_languages(
        lambda: widgets.channel_findings(bc, "churn_within").findings
    ).items():
        email = fnd[0]
        assert verdict(email, "channel", lang) is True, email
        lo, hi = printed_interval(email)
        assert hi < 0 and hi == pytest.approx(-0.004), email


def test_best_channel_is_direction_aware():
    """For churn a more negative effect is better: email, not the smallest reduction (phone)."""
    bc = _by_channel(
        [
            ("phone", -0.01, -0.03, 0.01, 400),
            ("email", -0.05, -0.07, -0.03, 400),
            ("sms", -0.02, -0.025, -0.015, 300),
        ]
    )
    with language("en"):
        best = widgets.channel_findings(bc, "churn_within").findings[-1]
        assert "email" in best and "phone" not in best
    bc_sat = _by_channel([("phone", 0.3, 0.2, 0.4, 400), ("email", 0.1, 0.0, 0.2, 400)])
    with language("en"):
        assert "phone" in widgets.channel_findings(bc_sat, "overall_sat").findings[-1]
    assert cx.effects.better_direction("churn_within") == "lower"
    assert cx.effects.better_direction("ces") == "lower"
    assert cx.effects.better_direction("nps") == "higher"


def test_effect_sentence_uses_the_table_unit(effect_world):
    """The sentence states the AIPW estimate in the table's unit (a proportion for churn), not
    percentage points beside a table in proportions."""
    res = _quiet(cx.follow_up_effect, effect_world, outcome="churn_within", bootstrap=30, seed=1)
    a = res.estimate("aipw")
    with language("en"):
        lead = res.findings().findings[0]
    m = re.search(rf"by ({NUM})", lead)
    assert m, lead
    d = len(m.group(1).split(".")[1])
    assert number(m.group(1)) == pytest.approx(round(a.estimate, d)), lead
    lo, hi = printed_interval(lead)
    assert lo == pytest.approx(round(a.ci_low, d)) and hi == pytest.approx(round(a.ci_high, d))


# ----------------------------------------------------------------------------- item 3
@pytest.mark.parametrize(
    ("model", "importance", "decomposes"),
    [
        ("ols", "shapley", True),
        ("ols", "relative_weights", True),
        ("ols", "pratt", True),
        ("ols", "first", False),
        ("ols", "last", False),
        ("ols", "beta_squared", False),
        ("logit", "shapley", False),
    ],
)
def test_explained_variance_only_for_measures_that_decompose_r2(
    kpi_world, model, importance, decomposes
):
    outcome = "nps" if model == "logit" else "overall_sat"
    res = _quiet(cx.fit_drivers, kpi_world, outcome, model=model, importance=importance)
    assert res.decomposes_variance is decomposes
    for lang, fnd in both_languages(lambda: res.findings().findings).items():
        phrase = {"en": "explained variance", "fa": "واریانس تبیین‌شده"}[lang]
        assert (phrase in fnd[0]) is decomposes, fnd[0]
    with language("en"):
        note = res.summary().as_text().split("Notes:")[-1]
    assert ("share: percent of the explained part" in note) is decomposes, note
    assert ("decomposition of R²" in note) is decomposes, note


# ----------------------------------------------------------------------------- item 4
def _ipma(rows) -> IPMAResult:
    table = pd.DataFrame(rows, columns=["construct", "importance", "performance"])
    return IPMAResult(table.assign(total_effect=np.nan), "Loyalty", 60.0)


def test_ipma_advice_follows_the_priority_flag():
    none = _ipma([("Image", 0.5, 70.0), ("Quality", 0.2, 60.0), ("Value", 0.1, 30.0)])
    assert not none.priorities()["priority"].any()
    some = _ipma([("Image", 0.5, 40.0), ("Quality", 0.2, 60.0), ("Value", 0.1, 70.0)])
    flagged = some.priorities().query("priority")["construct"].tolist()
    assert flagged == ["Image"]
    for lang in LANGS:
        with language(lang):
            improve = {"en": "first", "fa": "نخست"}[lang]
            assert improve not in none.findings().findings[0]
            advice = some.findings().findings[0]
            assert improve in advice and cx._format.label("Image") in advice


def test_ph_test_global_violation_is_not_reported_as_fine(survival):
    """No single covariate flagged but the global test flagged: the sentence must not say the
    hazard ratios hold; and the PH threshold defaults to the fit's alpha."""
    from cxmodels.churn.zph import PHTest

    tab = pd.DataFrame(
        {
            "covariate": ["overall_sat", "GLOBAL"],
            "test_statistic": [3.0, 9.0],
            "df": [1, 2],
            "p_value": [0.08, 0.011],
            "violated": [False, True],
            "advice": ["", ""],
        }
    )
    ph = PHTest(tab, "km", 0.05, 300)
    words = {"en": ("hold over follow-up", "global test does"), "fa": ("پایدارند", "نقض می‌کند")}
    for lang, fnd in both_languages(lambda: ph.findings().findings).items():
        wrong, right = words[lang]
        assert wrong not in fnd[0] and right in fnd[0], fnd[0]
    fit = _quiet(cx.fit_churn, survival, ["overall_sat"], alpha=0.10)
    assert fit.ph_test().p_threshold == pytest.approx(0.10)


def test_pls_path_sentences_state_the_fit_level(pls_world):
    """Paths, R² and indirect effects are printed at the fit's level; a path is called weak
    exactly when its interval includes zero."""
    for level in LEVELS:
        res = _quiet(
            cx.fit_pls, pls_world, cx.structural.ECSI_SYNTAX, bootstrap=60, seed=1, level=level
        )
        n_weak = sum(not excludes(r.ci_low, r.ci_high) for r in res.paths.itertuples())
        for lang, fnd in both_languages(lambda r=res: r.findings().findings).items():
            with_ci = [s for s in fnd if INTERVAL.search(plain(s))]
            assert len(with_ci) >= 4, fnd
            for s in with_ci:
                assert printed_level(s) == pytest.approx(level), s
            weak = {"en": "Not distinguishable from zero", "fa": "از صفر تمیزدادنی نیستند"}[lang]
            assert any(weak in s for s in fnd) == (n_weak > 0)


def test_hazard_ratio_sentence_from_the_catalogue_with_its_verdict(survival):
    """The narrative's one-line hazard sentence: Persian words in Persian, and "includes no
    effect" exactly when its printed interval spans 0%."""
    covs = [c for c in COX_COVARIATES if c in survival]
    res = _quiet(cx.fit_churn, survival, covs, alpha=0.10)
    tail = {"en": "the interval includes no effect", "fa": "بازه حالت بی‌اثر"}
    for col in res.table["covariate"]:
        said = both_languages(lambda c=col: cx.churn.hazard_ratio_sentence(res, c, ""))
        assert "hazard" not in said["fa"] and "interval" not in said["fa"], said["fa"]
        for lang, s in said.items():
            m = re.search(rf"\(({NUM})%\s+(?:to|تا)\s+({NUM})%\)", plain(s))
            assert m, s
            lo, hi = number(m.group(1)), number(m.group(2))
            assert (tail[lang] in s) == (lo < 0 < hi or lo == 0 or hi == 0), s


def test_kpi_tiles_print_the_level_of_their_intervals():
    import re

    from cxmodels.reports import widgets

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = cx.validate(cx.generate(800, seed=2))
    for level, shown in ((0.9, "90% CI"), (0.95, "95% CI")):
        page = widgets.tiles(cx.metrics.kpis(data, level=level)).page
        assert shown in page and not re.search(r"(?<!\d)(90|95)% CI", page.replace(shown, ""))

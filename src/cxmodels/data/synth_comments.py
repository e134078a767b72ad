"""Realistic survey comments in English and Persian for the synthetic world (opt-in).

``cx.generate(comments="en" | "fa" | "both")`` rewrites ``comment_liked`` and
``comment_disliked`` from its own random stream (``default_rng([seed, 28])``), after every other
table, so the default world and every pinned number stay as they are. Each comment is about the
attribute the respondent rated highest (liked) or lowest (disliked): several topic words per
theme (synonyms), several praise and complaint phrasings, openers and closers, misspellings
(dropped, doubled or swapped letters; Arabic yeh and kaf in Persian; ZWNJ written as a space
or left out), a second theme in about a quarter of the comments (*the app is fine, but the
delivery was late*) and a few phone numbers and e-mail addresses to be masked. Promoters write
praise more often and detractors complaints, so the NPS group is a weak label of the tone.

The truth of every comment (its row, column, language, theme, second theme and sentiment, +1
praise, -1 complaint) is in ``truth["comments"]``; :func:`comment_truth` gives it as a table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .contract import ATTRIBUTES

#: theme -> (topic words, praise, complaint), English.
EN = {
    "attr_product_quality": (
        ["the product quality", "the quality", "the product", "build quality", "the goods"],
        ["is excellent", "is really high", "feels solid and durable", "exceeded my expectations"],
        ["is poor", "broke after a week", "feels cheap and flimsy", "was defective"],
    ),
    "attr_value_for_money": (
        ["the price", "the prices", "value for money", "the cost", "the fees"],
        ["is fair", "is reasonable for what you get", "is great value", "is affordable"],
        ["is too high", "is a rip off", "is overpriced", "is not worth it"],
    ),
    "attr_staff_competence": (
        ["the staff", "the employees", "the agent", "the people at the branch", "the team"],
        [
            "were knowledgeable and helpful",
            "were very professional",
            "were friendly and competent",
            "were skilled and patient",
        ],
        [
            "were rude",
            "were unhelpful and clueless",
            "gave me wrong information",
            "were incompetent",
        ],
    ),  # fmt: skip
    "attr_responsiveness": (
        [
            "the phone line",
            "getting an answer",
            "the response time",
            "replying to messages",
            "the call centre",
        ],
        ["was quick", "was very responsive", "was fast, replied within minutes", "was prompt"],
        [
            "was slow, I was on hold for ages",
            "never answered my emails",
            "took days, too slow",
            "was impossible, nobody answered",
        ],
    ),  # fmt: skip
    "attr_delivery_reliability": (
        ["delivery", "the courier", "shipping", "my order", "the delivery time"],
        [
            "arrived on time",
            "came a day early, fast",
            "was fast and reliable",
            "arrived in perfect condition",
        ],
        ["was late again", "arrived a week late", "got lost", "was delayed twice"],
    ),  # fmt: skip
    "attr_follow_up_care": (
        [
            "the follow-up",
            "after-sales care",
            "the follow up call",
            "aftercare",
            "checking in after the purchase",
        ],
        ["was a nice touch", "made me feel valued, thank you", "was thoughtful", "was helpful"],
        [
            "never happened",
            "was missing",
            "was promised but nobody called, disappointing",
            "was disappointing",
        ],
    ),  # fmt: skip
    "attr_digital_experience": (
        ["the app", "the website", "online ordering", "the mobile app", "the online account"],
        ["is easy to use", "works smoothly", "is fast and intuitive", "is well designed, love it"],
        ["keeps crashing", "is confusing", "is slow and buggy", "shows an error every time"],
    ),
    "attr_complaint_handling": (
        [
            "my complaint",
            "the complaints process",
            "the way my claim was handled",
            "the resolution of my case",
            "the refund process",
        ],
        [
            "was resolved quickly",
            "was handled fairly",
            "was sorted out in one call, great",
            "was taken seriously",
        ],
        [
            "was ignored",
            "is still unresolved",
            "went nowhere, useless",
            "was passed around for weeks, frustrating",
        ],
    ),  # fmt: skip
}
#: theme -> (topic words, praise, complaint), Persian.
FA = {
    "attr_product_quality": (
        ["کیفیت محصول", "کیفیت جنس", "جنس", "محصول", "کیفیت کالا"],
        ["عالی است", "خیلی خوب بود", "محکم و بادوام است", "از انتظارم بهتر بود"],
        ["ضعیف است", "بعد از یک هفته خراب شد", "بی‌کیفیت بود", "معیوب بود"],
    ),
    "attr_value_for_money": (
        ["قیمت", "قیمت‌ها", "نرخ‌ها", "هزینه", "ارزش خرید"],
        ["منصفانه است", "مناسب است", "به‌صرفه است", "از جاهای دیگر ارزان‌تر است"],
        ["خیلی گران است", "گران شده و ارزشش را ندارد", "گران‌فروشی است", "واقعا زیاد است"],
    ),
    "attr_staff_competence": (
        ["کارکنان", "کارمندان", "پرسنل", "همکاران شما", "کارمند شعبه"],
        [
            "خیلی مسلط و حرفه‌ای بودند",
            "مودب و کاربلد بودند",
            "با حوصله و مهربان بودند",
            "برخورد خوبی داشتند",
        ],
        ["بی‌ادب بودند", "اطلاعات غلط دادند", "وارد نبودند", "بد برخورد کردند"],
    ),  # fmt: skip
    "attr_responsiveness": (
        ["پاسخگویی", "تماس با مرکز تماس", "جواب دادن به پیام‌ها", "زمان پاسخ", "تلفن پشتیبانی"],
        ["خیلی سریع بود", "فوری بود", "در چند دقیقه انجام شد، عالی", "همیشه در دسترس است"],
        [
            "خیلی کند است",
            "افتضاح است، ساعت‌ها پشت خط منتظر ماندم",
            "بی‌جواب ماند",
            "چند روز طول کشید",
        ],
    ),  # fmt: skip
    "attr_delivery_reliability": (
        ["ارسال", "تحویل سفارش", "پیک", "سفارشم", "زمان تحویل"],
        ["به موقع رسید", "یک روز زودتر رسید، عالی", "سریع و دقیق بود", "سالم رسید، ممنون"],
        ["باز هم دیر رسید", "یک هفته تاخیر داشت", "گم شد", "سر موعد نرسید"],
    ),
    "attr_follow_up_care": (
        ["پیگیری بعد از خرید", "خدمات پس از فروش", "تماس پیگیری", "پیگیری", "رسیدگی بعد از خرید"],
        ["عالی بود", "حس خوبی داشت", "خیلی دلسوزانه بود", "مفید بود"],
        [
            "انجام نشد و ناامید شدم",
            "وجود ندارد، افتضاح",
            "قول دادند ولی کسی تماس نگرفت، بدقولی",
            "ناامیدکننده بود",
        ],
    ),  # fmt: skip
    "attr_digital_experience": (
        ["اپلیکیشن", "برنامه موبایل", "سایت", "وب‌سایت", "خرید اینترنتی"],
        ["راحت و کاربردی است", "بدون مشکل کار می‌کند", "سریع و ساده است", "خیلی شیک طراحی شده"],
        ["مدام هنگ می‌کند", "پیچیده و گیج‌کننده است", "کند است و باگ دارد", "همش ارور می‌دهد"],
    ),
    "attr_complaint_handling": (
        ["رسیدگی به شکایت", "شکایتم", "رسیدگی به درخواستم", "روند شکایت", "بازپرداخت پول"],
        ["سریع انجام شد", "منصفانه بود", "با یک تماس درست شد، ممنون", "جدی گرفته شد، عالی"],
        ["نادیده گرفته شد", "هنوز بلاتکلیف است", "به نتیجه نرسید", "هفته‌ها طول کشید، افتضاح"],
    ),
}
WORDS = {
    "en": {
        "open": ["", "", "Honestly, ", "Overall ", "I think ", "To be fair "],
        "close_pos": ["", ".", "!", ". Thanks.", " 👍", ". Keep it up."],
        "close_neg": ["", ".", "!", ". Please fix this.", " 😡", ". Not happy."],
        "join": [", but ", " and ", ". Also "],
        "pii": [
            " Call me on 0912 345 6789.",
            " My email is sara.k@example.com",
            " Thanks Mr Ahmadi",
            " Reach me at +44 20 7946 0958.",
        ],
    },  # fmt: skip
    "fa": {
        "open": ["", "", "راستش ", "در کل ", "به نظرم ", "سلام، "],
        "close_pos": ["", ".", "!", ". ممنون.", " 👍", ". خسته نباشید."],
        "close_neg": ["", ".", "!", ". لطفا رسیدگی کنید.", " 😡", ". واقعا ناراضی‌ام."],
        "join": ["، ولی ", " و ", "، اما "],
        "pii": [
            " شماره من ۰۹۱۲۳۴۵۶۷۸۹ است.",
            " ایمیلم reza.m@example.ir است.",
            " با تشکر از آقای رضایی",
            " کد ملی ۰۰۱۲۳۴۵۶۷۸",
        ],
    },  # fmt: skip
}
MIXED_SHARE, TYPO_SHARE, PII_SHARE = 0.25, 0.15, 0.02


def _typo(text: str, rng: np.random.Generator, lang: str) -> str:
    """One misspelling: a dropped, doubled or swapped letter; in Persian also Arabic letters or
    a ZWNJ written as a space or left out."""
    kind = int(rng.integers(0, 5 if lang == "fa" else 3))
    if kind == 3:
        return text.replace("ی", "ي").replace("ک", "ك")
    if kind == 4:
        return text.replace("\u200c", "" if rng.random() < 0.5 else " ")
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return text
    i = long[int(rng.integers(0, len(long)))]
    w, j = words[i], int(rng.integers(1, len(words[i]) - 2))
    words[i] = (w[:j] + w[j + 1 :], w[:j] + w[j] + w[j:], w[:j] + w[j + 1] + w[j] + w[j + 2 :])[
        kind
    ]
    return " ".join(words)


def _clause(bank: dict, theme: str, positive: bool, rng) -> str:
    topics, pos, neg = bank[theme]
    preds = pos if positive else neg
    return f"{topics[int(rng.integers(len(topics)))]} {preds[int(rng.integers(len(preds)))]}"


def _comment(lang: str, theme: str, second: str | None, positive: bool, rng) -> str:
    bank, words = (EN if lang == "en" else FA), WORDS[lang]
    text = words["open"][int(rng.integers(len(words["open"])))] + _clause(
        bank, theme, positive, rng
    )
    if second is not None:
        join = words["join"][int(rng.integers(len(words["join"])))]
        text += join + _clause(bank, second, bool(rng.random() < 0.5), rng)
    close = words["close_pos" if positive else "close_neg"]
    text += close[int(rng.integers(len(close)))]
    if rng.random() < TYPO_SHARE:
        text = _typo(text, rng, lang)
    if rng.random() < PII_SHARE:
        text += words["pii"][int(rng.integers(len(words["pii"])))]
    if lang == "en" and rng.random() < 0.8:
        text = text[:1].upper() + text[1:]
    return text


def comment_columns(responses: pd.DataFrame, languages: str, seed: int) -> tuple[dict, dict]:
    """New ``comment_liked`` / ``comment_disliked`` columns and their truth.

    Parameters
    ----------
    responses : DataFrame
        The world's responses (attribute ratings ``attr_*`` and ``nps``).
    languages : {"en", "fa", "both"}
        Language of the comments (``"both"``: each respondent writes in one, half and half).
    seed : int
        The world's seed; the stream is ``default_rng([seed, 28])``.
    """
    rng = np.random.default_rng([seed, 28])
    n = len(responses)
    order = np.argsort(responses[list(ATTRIBUTES)].to_numpy(), axis=1, kind="stable")
    nps = responses["nps"].to_numpy(float)
    p_like = 1 / (1 + np.exp(-(-0.2 + 0.35 * (nps - 7))))
    p_dislike = 1 / (1 + np.exp(-(-0.2 - 0.35 * (nps - 7))))
    lang = np.full(n, languages, dtype=object)
    if languages == "both":
        lang = np.where(rng.random(n) < 0.5, "fa", "en").astype(object)
    cols, truth = {}, {k: [] for k in ("row", "column", "language", "theme", "second", "sentiment")}
    for column, p, rank, positive in (
        ("comment_liked", p_like, -1, True),
        ("comment_disliked", p_dislike, 0, False),
    ):
        has = rng.random(n) < p
        mixed = rng.random(n) < MIXED_SHARE
        out = np.full(n, None, dtype=object)
        for i in np.flatnonzero(has):
            theme = ATTRIBUTES[order[i, rank]]
            second = ATTRIBUTES[order[i, rank - 1 if positive else 1]] if mixed[i] else None
            out[i] = _comment(lang[i], theme, second, positive, rng)
            for k, v in zip(truth, (int(i), column, lang[i], theme, second, 1 if positive else -1)):
                truth[k].append(v)
        cols[column] = out
    return cols, truth


def comment_truth(data) -> pd.DataFrame:
    """The true theme, second theme and sentiment of every synthetic comment, one row each,
    indexed like ``analyze_comments``' labels on both comment columns: ``(row, column)``."""
    t = pd.DataFrame((data.truth or {}).get("comments", {}).get("table", {}))
    if t.empty:
        raise ValueError("this world has no synthetic comments: generate(comments='en'|'fa')")
    index = pd.MultiIndex.from_arrays([data.responses.index[t["row"].to_numpy()], t["column"]])
    return t.drop(columns=["row", "column"]).set_index(index)

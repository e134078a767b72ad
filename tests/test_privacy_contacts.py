"""The privacy gate finds contact details however an Iranian or international comment writes
them (the patterns that mask comments, cxmodels.pii), and not ordinary report
numbers: a page with a shown comment must still be masked."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from cxmodels.reports.privacy import privacy_hits
from cxmodels.voice import mask_text

CONTACTS = [
    "شماره‌ام ۰۹۱۲ ۳۴۵ ۶۷۸۹ است",
    "call me on +98 912 345 6789",
    "تلفن ثابت ۰۲۱-۸۸۷۷۶۶۵۵",
    "my card 6037 9912 3456 7890 was charged twice",
    "کد ملی ۰۰۱۲۳۴۵۶۷۸",
    "write to sara.k@example.ir",
    "reach me at 0044 20 7946 0958",
]
ORDINARY = [
    "<td>NPS -27.6 (-29.2 to -26.0)</td><td>1,525,650</td><td>12.5%</td>",
    "<td>0.0012</td><td>0.34</td><td>p &lt; 0.001</td><td>2024-08-02</td><td>1403/05/12</td>",
    "<td>۱۲٬۳۴۵٫۶</td><td>۱۴۰۵/۰۹/۱۰</td><td>CLV 55.4 (52.1 to 58.9)</td>",
]


@pytest.mark.parametrize("text", CONTACTS)
def test_gate_finds_contact_details_the_masking_hides(text):
    assert privacy_hits(f"<p>{text}</p>", set()), text
    assert not privacy_hits(f"<p>{mask_text(text)}</p>", set()), mask_text(text)


@pytest.mark.parametrize("page", ORDINARY)
def test_gate_passes_ordinary_report_numbers(page):
    assert privacy_hits(page, set()) == []


def test_gate_passes_style_sheets_and_four_decimal_intervals():
    page = (
        "<style>.a{color:#006064;background:#000000}</style>"
        "<td>0.0000 (0.0000 to 0.0012)</td><td>-0.0012 (-0.0030 to 0.0004)</td>"
    )
    assert privacy_hits(page, set()) == []


#: Contact details as Iranian and international comments write them, with the parts of each
#: that must never reach a page (digits in any script are compared as ASCII).
WRITTEN = [
    ("call me on 0912 345 6789", "345 6789"),
    ("my mobile 09123456789", "09123456789"),
    ("شماره‌ام ۰۹۱۲۳۴۵۶۷۸۸ است", "09123456788"),
    ("call +98 912 345 6787", "345 6787"),
    ("call 0098 912 345 67 86", "345 67 86"),
    ("تلفن ثابت ۰۲۱-۸۸۷۷۶۶۵۵", "88776655"),
    ("office (021) 8877 6654", "8877 6654"),
    ("London +44 20 7946 0958", "7946 0958"),
    ("US +1 (415) 555-2671", "555-2671"),
    ("write to sara.k@example.com", "sara.k@"),
    ("ایمیلم reza_m+cx@mail.example.ir است", "reza_m"),
    ("کد ملی ۰۰۱۲۳۴۵۶۷۸", "0012345678"),
    ("national id 001-234567-8", "234567"),
    ("card 6037-9975-1234-5678 charged twice", "1234-5678"),
    ("card 6037 9975 1234 5677 charged twice", "1234 5677"),
    ("کارت ۶۰۳۷۹۹۷۵۱۲۳۴۵۶۷۶ است", "6037997512345676"),
]


@pytest.mark.slow
def test_no_contact_detail_in_a_rendered_comments_page(tmp_path):
    """The comments report with ``show_comments: true``, every disliked comment carrying one of
    the contact details above: the page shows the comments masked, and none of the details."""
    import cxmodels as cx
    from cxmodels import reports
    from cxmodels.data.text import to_ascii_digits
    from tests.test_reports import NB, _config

    data = cx.generate(500, seed=9, comments="both")
    r = data.responses
    rows = r.index[r["comment_disliked"].notna()]
    extra = [WRITTEN[i % len(WRITTEN)][0] for i in range(len(rows))]
    r.loc[rows, "comment_disliked"] = (
        r.loc[rows, "comment_disliked"] + ". " + pd.Series(extra, index=rows)
    )
    folder = cx.save(data, tmp_path / "d")
    entry = {"name": "voice", "notebook": str(NB / "06_voice_of_customer.ipynb")}
    entry["parameters"] = {"show_comments": True, "bootstrap": 0}
    cfg = _config(tmp_path / "r.yaml", [entry])
    outcome = reports.run(
        cfg, data=str(folder), out_dir=tmp_path / "out", progress=False, quiet=True
    )
    assert outcome.ok, outcome.table.to_string()  # the privacy gate read the page, too
    page = (tmp_path / "out" / "voice.html").read_text(encoding="utf-8")
    seen = to_ascii_digits(re.sub(r"<[^>]+>", " ", reports.DATA_URI_RE.sub("", page)))
    assert seen.count("[phone]") + seen.count("[email]") + seen.count("[card]") >= 5
    for _, secret in WRITTEN:
        assert secret not in seen, secret


@pytest.mark.parametrize("text, secret", WRITTEN)
def test_masking_hides_every_written_contact(text, secret):
    from cxmodels.data.text import to_ascii_digits

    assert secret in to_ascii_digits(text)
    assert secret not in to_ascii_digits(mask_text(text)), mask_text(text)

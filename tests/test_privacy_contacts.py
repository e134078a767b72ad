"""The privacy gate finds contact details however an Iranian or international comment writes
them (the patterns that mask comments, cxmodels.pii), and not ordinary report
numbers: a page with a shown comment must still be masked."""

from __future__ import annotations

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

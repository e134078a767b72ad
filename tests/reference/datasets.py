"""Small public data sets transcribed as test fixtures, with their sources.

- ``attitude``: R datasets::attitude (Chatterjee & Price 1977), 30 departments.
- ``mtcars``: R datasets::mtcars (Henderson & Velleman 1981), the columns we use.
- ``wine``: R ordinal::wine (Randall 1989), rebuilt from its rating-by-treatment counts
  (Christensen, "Analysis of ordinal data with cumulative link models", Table 1). A cumulative
  link model of rating ~ temp + contact depends on the data only through these counts.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

_ATTITUDE = """rating complaints privileges learning raises critical advance
43 51 30 39 61 92 45
63 64 51 54 63 73 47
71 70 68 69 76 86 48
61 63 45 47 54 84 35
81 78 56 66 71 83 47
43 55 49 44 54 49 34
58 67 42 56 66 68 35
71 75 50 55 70 66 41
72 82 72 67 71 83 31
67 61 45 47 62 80 41
64 53 53 58 58 67 34
67 60 47 39 59 74 41
69 62 57 42 55 63 25
68 83 83 45 59 77 35
77 77 54 72 79 77 46
81 90 50 72 60 54 36
74 85 64 69 79 79 63
65 60 65 75 55 80 60
65 70 46 57 75 85 46
50 58 68 54 64 78 52
50 40 33 34 43 64 33
64 61 52 62 66 80 41
53 66 52 50 63 80 37
40 37 42 58 50 57 49
63 54 42 48 66 75 33
66 77 66 63 88 76 72
78 75 58 74 80 78 49
48 57 44 45 51 83 38
85 85 71 71 77 74 55
82 82 39 59 64 78 39
"""

_MTCARS = """mpg cyl disp hp vs am gear
21.0 6 160.0 110 0 1 4
21.0 6 160.0 110 0 1 4
22.8 4 108.0 93 1 1 4
21.4 6 258.0 110 1 0 3
18.7 8 360.0 175 0 0 3
18.1 6 225.0 105 1 0 3
14.3 8 360.0 245 0 0 3
24.4 4 146.7 62 1 0 4
22.8 4 140.8 95 1 0 4
19.2 6 167.6 123 1 0 4
17.8 6 167.6 123 1 0 4
16.4 8 275.8 180 0 0 3
17.3 8 275.8 180 0 0 3
15.2 8 275.8 180 0 0 3
10.4 8 472.0 205 0 0 3
10.4 8 460.0 215 0 0 3
14.7 8 440.0 230 0 0 3
32.4 4 78.7 66 1 1 4
30.4 4 75.7 52 1 1 4
33.9 4 71.1 65 1 1 4
21.5 4 120.1 97 1 0 3
15.5 8 318.0 150 0 0 3
15.2 8 304.0 150 0 0 3
13.3 8 350.0 245 0 0 3
19.2 8 400.0 175 0 0 3
27.3 4 79.0 66 1 1 4
26.0 4 120.3 91 0 1 5
30.4 4 95.1 113 1 1 5
15.8 8 351.0 264 0 1 5
19.7 6 145.0 175 0 1 5
15.0 8 301.0 335 0 1 5
21.4 4 121.0 109 1 1 4
"""

# counts of rating 1..5 per (temp, contact)
_WINE_COUNTS = {
    ("cold", "no"): [4, 9, 5, 0, 0],
    ("cold", "yes"): [1, 7, 8, 2, 0],
    ("warm", "no"): [0, 5, 8, 3, 2],
    ("warm", "yes"): [0, 1, 5, 7, 5],
}


def attitude() -> pd.DataFrame:
    return pd.read_csv(io.StringIO(_ATTITUDE), sep=" ")


def mtcars() -> pd.DataFrame:
    return pd.read_csv(io.StringIO(_MTCARS), sep=" ")


def wine() -> pd.DataFrame:
    rows = [
        (t, c, r + 1)
        for (t, c), counts in _WINE_COUNTS.items()
        for r, k in enumerate(counts)
        for _ in range(k)
    ]
    df = pd.DataFrame(rows, columns=["temp", "contact", "rating"])
    df["tempwarm"] = (df["temp"] == "warm").astype(float)
    df["contactyes"] = (df["contact"] == "yes").astype(float)
    assert len(df) == 72 and np.isclose(df["tempwarm"].mean(), 0.5)
    return df

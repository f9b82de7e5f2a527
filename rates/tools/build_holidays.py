#!/usr/bin/env python3
"""Build rates/holidays.csv: national public holidays per country, from the 'holidays' package.

Country level only (no subdivisions), default category (public), observed days included, years
YEAR_FROM..YEAR_TO. Names in English (en_US, else en_GB) where the package has a translation,
otherwise in the package's default language for that country. Needs: holidays, pycountry.
Deterministic for a given package version (pin it; see rates/README.md).
"""
from importlib.metadata import version

import holidays
import pycountry

from common import GENERATED, parse_args, warn, write_lines

YEAR_FROM, YEAR_TO = 2018, 2035
SIZE_LIMIT = 3_000_000
FALLBACK_FROM = 2020
# Not ISO 3166-1, but the region code libphonenumber (and so tollguard) uses for Kosovo.
EXTRA_CODES = {"XK"}


def build(year_from):
    codes = sorted(c for c in holidays.list_supported_countries() if len(c) == 2)
    rows, english, local, skipped = [], 0, [], []
    for code in codes:
        if code not in EXTRA_CODES and pycountry.countries.get(alpha_2=code) is None:
            skipped.append(code)
            continue
        cls_langs = holidays.country_holidays(code).supported_languages
        lang = next((l for l in ("en_US", "en_GB") if l in cls_langs), None)
        h = holidays.country_holidays(code, years=range(year_from, YEAR_TO + 1), language=lang)
        if lang:
            english += 1
        else:
            local.append(code)
        for day in sorted(h):
            for name in sorted(set(h.get_list(day))):
                rows.append([code, day.isoformat(), " ".join(name.replace(",", " ").split())])
    return codes, rows, english, local, skipped


def main():
    args = parse_args(__doc__.splitlines()[0])
    year_from = YEAR_FROM
    codes, rows, english, local, skipped = build(year_from)
    est = sum(len(",".join(r)) + 1 for r in rows)
    if est > SIZE_LIMIT:
        warn(f"{est} bytes for {YEAR_FROM}-{YEAR_TO} exceeds {SIZE_LIMIT}; restricting to {FALLBACK_FROM}-{YEAR_TO}")
        year_from = FALLBACK_FROM
        codes, rows, english, local, skipped = build(year_from)
    countries = sorted({r[0] for r in rows})
    comments = [
        "tollguard national public holidays (country level, no subdivisions), for flagging",
        "  out-of-hours calls.",
        f"Source: Python package 'holidays' {version('holidays')} (MIT licence,",
        "  https://github.com/vacanza/holidays), default 'public' category, observed days included.",
        f"Years {year_from}-{YEAR_TO} inclusive; {len(countries)} countries (every ISO 3166-1 alpha-2 code",
        "  the package supports). Future Islamic/lunar dates are the package's estimates.",
        f"Names: the package's en_US (else en_GB) translation for {english} countries; the other",
        f"  {len(local)} have no translations and their names are already English in the package",
        "  (" + " ".join(local) + ").",
        "  Commas in names are replaced by spaces; several holidays on one date give several rows.",
        "  XK (Kosovo) is included although not ISO 3166-1: libphonenumber uses it.",
        "Derived by rates/tools/build_holidays.py (deterministic for a pinned package version).",
        f"Rows: {len(rows)}. Generated: {GENERATED}",
    ]
    if skipped:
        comments.append("Codes skipped (aliases / not ISO 3166-1): " + " ".join(skipped))
    out = args.out_dir / "holidays.csv"
    size = write_lines(out, comments, rows, ["country", "date", "name"])
    warn(f"wrote {out}: {len(rows)} rows, {len(countries)} countries, {size} bytes")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Build rates/rate-deck.csv: an INDICATIVE per-minute rate deck in EUR by country and number type.

For estimating fraud exposure when the user has no carrier deck; not for billing.
Inputs (read-only, see ../shared/data/README.md): price-points-interconn-2015-eur.csv, plus the
CaribbeanO 2018 and TransNexus 2015 figures quoted in that README (hard-coded below, cited).
Needs: pycountry, phonenumbers. Deterministic: no clock, no network.

Rules: every InterConn row is mapped to (key, type); per (key, type) the MAXIMUM rate over all
contributing rows and sources is kept (conservative).  Peak and off-peak rows are both considered.
"""
import csv
import re
from decimal import ROUND_HALF_UP, Decimal
from importlib.metadata import version

import phonenumbers
import pycountry

from common import GENERATED, parse_args, warn, write_lines

USD_TO_EUR = Decimal("0.92")
TYPES = ["fixed", "mobile", "premium_rate", "shared_cost", "toll_free", "voip", "uan",
         "personal", "pager", "voicemail", "satellite", "any"]

# InterConn base names that pycountry cannot resolve (or resolves badly), mapped by hand.
# A list maps one price row onto several regions (the row covers all of them).
# Non-ISO codes AC, TA, XK are used because libphonenumber (and so tollguard) uses them.
NAME_OVERRIDES = {
    "Albania OLO": ["AL"],
    "Antarctica Global Networks": ["AQ"],
    "Antigua & Barbuda": ["AG"],
    "Armenia other": ["AM"],
    "Ascension Island": ["AC"],
    "Australian External Territories": ["NF"],   # +672, which libphonenumber assigns to NF
    "Azores": ["PT"],
    "Bosnia-Herzegovina": ["BA"],
    "Cape Verde Islands": ["CV"],
    "Cocos Island": ["CC"],
    "Congo": ["CG"],
    "Congo Democratic Republic": ["CD"],
    "Diego Garcia": ["IO"],
    "Fiji Islands": ["FJ"],
    "French Antilles": ["MQ", "GP", "BL", "MF"],  # +596 / +590
    "Israel-Palestine Auth.": ["PS"],
    "Ivory Coast": ["CI"],
    "Korea North": ["KP"],
    "Korea South": ["KR"],
    "Mayotte and Reunion": ["YT", "RE"],
    "Netherlands Antilles": ["CW", "BQ"],        # +599 after the 2010 dissolution
    "Niue Island": ["NU"],
    "Northern Marianas": ["MP"],
    "Peru Lima": ["PE"],
    "Reunion islands": ["RE"],
    "Russia Overlay": ["RU"],
    "Samoa (USA)": ["AS"],
    "Sao Tome & Principe": ["ST"],
    "Senegal VAS": ["SN"],
    "Seychelles Island": ["SC"],
    "Sri Lanka SLT": ["LK"],
    "St. Helena": ["SH"],
    "St. Kitts & Nevis": ["KN"],
    "St. Lucia": ["LC"],
    "St. Maarten": ["SX"],
    "St. Pierre & Miquelon": ["PM"],
    "St. Vincent & Grenadines": ["VC"],
    "Sud Sudan": ["SS"],
    "Swaziland": ["SZ"],
    "Timor East": ["TL"],
    "Tonga Islands": ["TO"],
    "Trinidad & Tobago": ["TT"],
    "Tristan Da Cunda": ["TA"],
    "Turkey": ["TR"],
    "Turks & Caicos Islands": ["TC"],
    "U.K.": ["GB"],
    "Virgin islands (UK)": ["VG"],
    "Virgin islands (US)": ["VI"],
    "Wallis & Futuna": ["WF"],
    "Western Samoa": ["WS"],
    # pycountry's fuzzy search resolves these through subdivision names; pinned here explicitly.
    "Alaska": ["US"], "Hawaii": ["US"], "Chatham Island": ["NZ"], "Madeira": ["PT"],
    "Zanzibar": ["TZ"], "Midway Islands": ["UM"], "Wake Island": ["UM"],
    "Macedonia": ["MK"], "Micronesia": ["FM"], "Vatican City": ["VA"], "Palestine": ["PS"],
    "Russia": ["RU"], "Central African Rep": ["CF"], "Falkland Islands": ["FK"],
}
# Whole-row overrides (full InterConn name -> (keys, type)), checked first.
ROW_OVERRIDES = {
    "Serbia, Kosovo": (["XK"], "fixed"),
    "Cyprus, North": (["TR"], "fixed"),           # Northern Cyprus is +90 392 (TR in libphonenumber)
    "U.K., Local Call": (["GB"], "shared_cost"),  # UK 0845 'local rate' non-geographic numbers
    "U.K., National Call": (["GB"], "shared_cost"),  # UK 0870 'national rate' numbers
    "France, mobile Globalstar": (["FR"], "satellite"),
    "Italy nomadiche": (["IT"], "voip"),          # Italian nomadic VoIP numbers (55)
    "International Shared Cost Number": (["+808"], "shared_cost"),          # ITU ISCS +808
    "Universal Personal Telecomunication Services": (["+878"], "personal"),  # ITU UPT +878
    "International Networks, shared code": (["+882", "+883"], "satellite"),
    "Thuraya, Satellite": (["+882", "+88216"], "satellite"),
    "EMSAT": (["+882", "+88213"], "satellite"),
    "Iridium": (["+881", "+8816", "+8817"], "satellite"),
    "Globalstar": (["+881", "+8818", "+8819"], "satellite"),
    "Ellipso": (["+881", "+8812", "+8813"], "satellite"),
}
# Rows deliberately not used (reason shown in the output's trailing comment).
SKIP = {
    "841 841 Telecom Italia": "Italian carrier service number",
    "Italy, 155ccWind": "Italian carrier service number",
    "Italy, Servizio Clienti TIM": "Italian carrier service number",
    "Italy, Servizio Clienti Vodafone": "Italian carrier service number",
    "Wind servizio Clienti": "Italian carrier service number",
    "Wind servizio assistenza Aziende": "Italian carrier service number",
    "Russia, Abkhazia": "disputed territory priced apart from Russia; excluded so RU is not inflated",
    "Russia, mobile Abkhazia": "disputed territory priced apart from Russia; excluded so RU is not inflated",
    "Serbia-Montenegro": "obsolete joint code; RS and ME have their own rows",
    "Serbia-Montenegro, mobile": "obsolete joint code; RS and ME have their own rows",
    "ETNS Euro Space": "ETNS +388 3 was withdrawn in 2010",
    "InSat": "network not identifiable",
    "Maritime mobile Service": "network/code not identifiable (no dialling prefix in the source)",
    "Maritime Communications Partner": "an +882 network; exact sub-code not verified offline (covered by +882)",
    "Oration Technologies": "an +882 network; exact sub-code not verified offline (covered by +882)",
}
# Inmarsat ocean-region rows -> legacy ocean-region codes; everything else Inmarsat -> +870 (SNAC).
INMARSAT_REGIONS = [
    (re.compile(r"atlantic ocean( region)? east", re.I), "+871"),
    (re.compile(r"pacific ocean", re.I), "+872"),
    (re.compile(r"indian ocean", re.I), "+873"),
    (re.compile(r"atlantic ocean( region)? west", re.I), "+874"),
]

# Public price points quoted in shared/data/README.md (CaribbeanO retail list, 2018, USD/min).
CARIBBEANO_USD = [
    ("+870", "satellite", "Inmarsat 870", "2.40"),
    ("+881", "satellite", "Iridium/Globalstar 881", "2.00"),
    ("+88216", "satellite", "Thuraya 882", "1.70"),
    ("CU", "fixed", "Cuba", "1.50"),
    ("CU", "mobile", "Cuba", "1.50"),
    ("SO", "fixed", "Somalia", "0.55"),
    ("SO", "mobile", "Somalia", "0.55"),
    ("GB", "mobile", "UK mobile", "0.22"),
]
TRANSNEXUS_MAX_PAYOUT_USD = Decimal("2.325")


def q4(x):
    return Decimal(x).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def country_keys(base):
    if base in NAME_OVERRIDES:
        return NAME_OVERRIDES[base]
    try:
        return [pycountry.countries.lookup(base).alpha_2]
    except LookupError:
        return None


def classify_qualifier(qual):
    q = qual.lower()
    if "globalstar" in q or "satellite" in q:
        return "satellite"
    if "mobile" in q or q.startswith("mob "):
        return "mobile"
    if "special service" in q or q == "premium":
        return "premium_rate"
    if q == "personal number":
        return "personal"
    if q == "paging":
        return "pager"
    if q == "shared cost":
        return "shared_cost"
    if q == "corporate":
        return "uan"  # FI/CH corporate numbers are UAN in libphonenumber
    return "fixed"    # plain row, cities, 'fixed alternative networks', regions, operators


def map_row(name):
    """Return (keys, type) or raise KeyError(reason) if the row cannot be mapped."""
    if name in SKIP:
        raise KeyError(SKIP[name])
    if name in ROW_OVERRIDES:
        return ROW_OVERRIDES[name]
    if name.startswith("Inmarsat"):
        for rx, key in INMARSAT_REGIONS:
            if rx.search(name):
                return [key], "satellite"
        return ["+870"], "satellite"
    if name.startswith("Italy, Special"):
        return ["IT"], "premium_rate"
    if re.match(r"Italy, 84[08]", name):
        return ["IT"], "shared_cost"   # Italian 840/848 shared-cost numbers
    if name == "Senegal VAS":
        return ["SN"], "premium_rate"
    base, _, qual = name.partition(", ")
    keys = country_keys(base)
    if keys is None:
        raise KeyError("no ISO country for this name")
    if not qual:
        return keys, "fixed"
    return keys, classify_qualifier(qual)


def percentile(values, p):
    """Nearest-rank percentile."""
    vals = sorted(values)
    k = max(1, -(-len(vals) * p // 100))
    return vals[int(k) - 1]


def main():
    args = parse_args(__doc__.splitlines()[0])
    src = args.shared / "price-points-interconn-2015-eur.csv"
    with open(src, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))

    best = {}      # (key, type) -> dict(rate, source, name, n)
    unmapped = {}  # name -> reason

    def offer(key, typ, rate, source, label):
        cur = best.get((key, typ))
        if cur is None:
            best[(key, typ)] = {"rate": rate, "source": source, "label": label, "n": 1}
            return
        cur["n"] += 1
        if rate > cur["rate"] or (rate == cur["rate"] and (source, label) < (cur["source"], cur["label"])):
            cur.update(rate=rate, source=source, label=label)

    for r in rows:
        name = r["traffic_direction"].strip()
        rate = Decimal(r["rate"].strip())
        try:
            keys, typ = map_row(name)
        except KeyError as e:
            unmapped[name] = e.args[0]
            continue
        for key in keys:
            offer(key, typ, rate, "interconn-2015", name)

    for key, typ, label, usd in CARIBBEANO_USD:
        offer(key, typ, Decimal(usd) * USD_TO_EUR, "caribbeano-2018", f"{label} {usd} USD")

    for name in sorted(unmapped):
        warn(f"unmapped InterConn name: {name!r} ({unmapped[name]})")

    supported = set(phonenumbers.SUPPORTED_REGIONS)
    not_lpn = sorted({k for k, _ in best if not k.startswith("+") and k not in supported})
    for k in not_lpn:
        warn(f"key {k} is not a libphonenumber region (kept; numbers there resolve elsewhere)")

    out_rows = []
    for (key, typ), b in best.items():
        if b["source"] == "interconn-2015":
            note = f"InterConn row '{b['label']}'" + (f" (max of {b['n']} price points)" if b["n"] > 1 else "")
        else:
            note = f"CaribbeanO 2018 '{b['label']}' x {USD_TO_EUR}" + (
                f" (max of {b['n']} price points)" if b["n"] > 1 else "")
        out_rows.append([key, typ, str(q4(b["rate"])), b["source"], note])

    # Fallback rows for any country ('*').
    fixed = [b["rate"] for (k, t), b in best.items() if t == "fixed" and not k.startswith("+")]
    mobile = [b["rate"] for (k, t), b in best.items() if t == "mobile" and not k.startswith("+")]
    sat = [b["rate"] for (k, t), b in best.items() if t == "satellite"]
    shared = [b["rate"] for (k, t), b in best.items() if t == "shared_cost"]
    p90f, p90m = percentile(fixed, 90), percentile(mobile, 90)
    premium = TRANSNEXUS_MAX_PAYOUT_USD * USD_TO_EUR
    fallback = [
        ["*", "fixed", q4(p90f), "interconn-2015",
         f"fallback: 90th percentile of {len(fixed)} country fixed rates (conservative)"],
        ["*", "mobile", q4(p90m), "interconn-2015",
         f"fallback: 90th percentile of {len(mobile)} country mobile rates (conservative)"],
        ["*", "premium_rate", q4(premium), "transnexus-2015",
         "ASSUMPTION: max IRSF payout 2.325 USD/min (TransNexus 2015) x 0.92; deliberately high"],
        ["*", "shared_cost", q4(Decimal("0.20")), "assumption",
         f"ASSUMPTION: no public per-country source; InterConn shared-cost rows span "
         f"{q4(min(shared))}-{q4(max(shared))} EUR/min"],
        ["*", "toll_free", q4(Decimal("0")), "assumption",
         "ASSUMPTION: caller normally pays nothing; international toll-free access may be charged"],
        ["*", "satellite", q4(max(sat)), "interconn-2015",
         f"fallback: max of {len(sat)} satellite/international-network rates (conservative)"],
        ["*", "any", q4(max(p90f, p90m)), "interconn-2015",
         "fallback for unknown number type: the higher of the fixed/mobile fallbacks"],
    ]
    out_rows += [[k, t, str(r), s, n] for k, t, r, s, n in fallback]

    def sort_key(r):
        k = r[0]
        group = 2 if k == "*" else (1 if k.startswith("+") else 0)
        return (group, k, TYPES.index(r[1]))

    out_rows.sort(key=sort_key)
    for r in out_rows:
        assert r[1] in TYPES, r

    n_countries = len({r[0] for r in out_rows if r[0][0] not in "+*"})
    comments = [
        "tollguard INDICATIVE rate deck: EUR per minute by destination and number type.",
        "Purpose: indicative, for estimating exposure, not billing. A user's own carrier deck",
        "  (see rates/README.md) always takes precedence. Currency: EUR.",
        "Sources (provenance in shared/data/README.md):",
        "  interconn-2015: InterConn (Italian ISP) public VoIP price list, interconn-isp/interconn.it",
        "    db/rates.csv at commit 9945099, prices dumped 2015-06-19; retail prices of one provider.",
        "  caribbeano-2018: CaribbeanO retail list (2018, USD) figures quoted in the shared README,",
        "    converted at a fixed 1 USD = 0.92 EUR: Inmarsat 870 2.40, Iridium/Globalstar 881 2.00,",
        "    Thuraya 882 1.70, Cuba 1.50, Somalia 0.55, UK mobile 0.22 (USD/min).",
        "  transnexus-2015: TransNexus IRSF study (2015): premium-number payouts 0.00013-2.325 USD/min,",
        "    average 0.094 USD/min (the call itself costs the victim more).",
        "Derived by rates/tools/build_rate_deck.py (deterministic) with pycountry "
        f"{version('pycountry')}, phonenumbers {version('phonenumbers')}.",
        "Derivation: InterConn names mapped to ISO 3166 alpha-2 (pycountry lookup plus a manual",
        "  override table in the script; AC/TA/XK as used by libphonenumber) or to +E.164 prefixes for",
        "  non-geographic codes. Per key and type the MAXIMUM over all matching rows and sources is",
        "  kept (conservative): fixed = plain/city/alternative-network rows, mobile = rows naming",
        "  'mobile', premium_rate = 'Special Services'/'Premium'/VAS rows, satellite = satellite rows.",
        "  Inmarsat SNAC rows -> +870, ocean-region rows -> +871..+874 (legacy AOR-E/POR/IOR/AOR-W);",
        "  Iridium -> +8816/+8817, Globalstar -> +8818/+8819, Ellipso -> +8812/+8813 (ITU GMSS",
        "  assignments), all three also -> +881; Thuraya -> +88216, EMSAT -> +88213, shared",
        "  'International Networks' -> +882/+883. Rates rounded half-up to 4 decimals.",
        "ASSUMPTIONS (no public source): '*' shared_cost 0.20 and '*' toll_free 0 (source",
        "  'assumption'); '*' premium_rate is anchored on the TransNexus maximum payout. They are",
        "  conservative: chosen at or above the observed public figures so exposure is overestimated",
        "  rather than missed. '*' rows are fallbacks for keys/types with no specific row.",
        f"Rows: {len(out_rows)} ({n_countries} country keys). Generated: {GENERATED}",
    ]
    out = args.out_dir / "rate-deck.csv"
    body_comments = comments
    size = write_lines(out, body_comments, out_rows, ["key", "type", "rate", "source", "note"])
    # Trailing comment: names not used.
    with open(out, "a", encoding="utf-8", newline="") as fh:
        fh.write(f"# Unmapped or skipped InterConn names ({len(unmapped)}):\n")
        for name in sorted(unmapped):
            fh.write(f"#   {name}: {unmapped[name]}\n")
        if not_lpn:
            fh.write("# Keys that are ISO codes but not libphonenumber regions (numbers there resolve to "
                     "another region): " + " ".join(not_lpn) + "\n")
    warn(f"wrote {out}: {len(out_rows)} rows, {out.stat().st_size} bytes, {len(unmapped)} unmapped names")


if __name__ == "__main__":
    main()

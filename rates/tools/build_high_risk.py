#!/usr/bin/env python3
"""Build rates/high-risk.csv: high-risk destination prefixes with a risk tier.

Inputs (read-only, see ../shared/data/README.md for provenance):
  high-risk-ccnq3-2013.csv, high-risk-integra.csv, high-risk-nanp-bwlogtools-2018.csv
Needs: phonenumbers (country of each prefix). Deterministic: no clock, no network.

Tier rules:
  critical  ccnq3 tier_seconds 0 (satellite 870-874/878/881/882 ranges, Cuba, ...), plus whole
            ITU non-geographic codes 870/881/882/883 added here where the data lacks them
  high      ccnq3 tier_seconds 10; every Integra country (whole calling code) except the
            European ones below; bwlogtools NANP Caribbean/Pacific area codes
  elevated  ccnq3 tier_seconds 29/60; bwlogtools NANP_POISON (US traffic pumping);
            Integra LV/MC/SI (carrier policy only, legitimate traffic common)
Merging: same prefix from several sources -> highest tier, sources joined with '+'.
Pruning: a prefix covered by a shorter listed prefix of the same or higher tier is dropped.
"""
import csv
from collections import Counter
from importlib.metadata import version

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

from common import GENERATED, parse_args, warn, write_lines

TIER_RANK = {"critical": 3, "high": 2, "elevated": 1}
SOURCE_ORDER = ["ccnq3-2013", "integra", "bwlogtools-2018", "itu-non-geographic"]

CCNQ3_TIER = {"0": "critical", "10": "high", "29": "elevated", "60": "elevated"}
CCNQ3_REASON = {
    "0": "ccnq3 fraud list: alert on any attempt (zero duration)",
    "10": "ccnq3 fraud list: suspect at 10 s billable",
    "29": "ccnq3 fraud list: alert at 29 s billable",
    "60": "ccnq3 fraud list: alert at 60 s billable",
}
INTEGRA_REASON = "Integra blocks by default: toll-fraud country"
# Integra's list is a carrier policy; these European destinations carry a lot of legitimate
# traffic, so they are demoted to 'elevated'.  (Monaco is not an EU member, hence its own text.)
INTEGRA_DEMOTE = {
    "LV": "carrier policy list; EU member, legitimate traffic common",
    "SI": "carrier policy list; EU member, legitimate traffic common",
    "MC": "carrier policy list; European microstate (not EU), legitimate traffic common",
}
BW_GROUP = {
    "NANP_POISON": ("elevated", "US traffic-pumping area code (bwlogtools NANP_POISON)"),
    "NANP_CARIBN": ("high", "Caribbean NANP area code: international rates behind +1"),
    "NANP_PACIFC": ("high", "Pacific NANP area code: international rates behind +1"),
}
ITU_CODES = ["870", "881", "882", "883"]
ITU_REASON = "satellite / international network (ITU non-geographic)"

FILLERS = [d for d in "0123456789"] + ["2345678901", "5550123456", "1234567890",
                                       "9876543210", "0123456789", "2000000000"]


def calling_code(prefix):
    for n in (1, 2, 3):
        if len(prefix) >= n and int(prefix[:n]) in COUNTRY_CODE_TO_REGION_CODE:
            return prefix[:n]
    return None


def sample_regions(prefix, heads=("",), fillers=FILLERS):
    """Regions of valid numbers that start with prefix, over a fixed set of fillers."""
    found = Counter()
    for head in heads:
        for total in range(len(prefix) + len(head) + 1, 16):
            for f in fillers:
                digits = prefix + head + (f * 16)[: total - len(prefix) - len(head)]
                try:
                    num = phonenumbers.parse("+" + digits, None)
                except phonenumbers.NumberParseException:
                    continue
                if phonenumbers.is_valid_number(num):
                    reg = phonenumbers.region_code_for_number(num)
                    if reg:
                        found[reg] += 1
    return found


# Second pass when no filler gives a valid number: try every 1-3 digit continuation.
DEEP_HEADS = tuple(f"{i:0{n}d}" for n in (1, 2, 3) for i in range(10 ** n))
DEEP_FILLERS = ("0", "5", "2345678901")


def region_for_prefix(prefix):
    cc = calling_code(prefix)
    if cc is None:
        return ""  # e.g. 871-874: retired Inmarsat ocean-region codes, unknown to libphonenumber
    regions = COUNTRY_CODE_TO_REGION_CODE[int(cc)]
    if len(regions) == 1:
        return regions[0]  # includes '001' for non-geographic codes
    main = phonenumbers.region_code_for_country_code(int(cc))
    if prefix == cc:
        return main
    p = prefix
    while len(p) > len(cc):
        found = sample_regions(p) or sample_regions(p, DEEP_HEADS, DEEP_FILLERS)
        if found:
            if len(found) == 1:
                return next(iter(found))
            if main in found:
                return main
            return sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        p = p[:-1]  # e.g. 1340555: no valid 555 numbers, fall back to area code 1340
    return main


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def main():
    args = parse_args(__doc__.splitlines()[0])
    shared = args.shared
    cands = []  # (prefix, tier, tier_seconds or None, reason, source)

    ccnq3 = read_csv(shared / "high-risk-ccnq3-2013.csv")
    for r in ccnq3:
        ts = r["tier_seconds"].strip()
        cands.append((r["prefix"].strip(), CCNQ3_TIER[ts], int(ts), CCNQ3_REASON[ts], "ccnq3-2013"))

    integra = read_csv(shared / "high-risk-integra.csv")
    for r in integra:
        cc = r["country"].strip()
        if cc in INTEGRA_DEMOTE:
            cands.append((r["prefix"].strip(), "elevated", None, INTEGRA_DEMOTE[cc], "integra"))
        else:
            cands.append((r["prefix"].strip(), "high", None, INTEGRA_REASON, "integra"))

    bw = read_csv(shared / "high-risk-nanp-bwlogtools-2018.csv")
    for r in bw:
        tier, reason = BW_GROUP[r["group"].strip()]
        cands.append((r["prefix"].strip(), tier, None, reason, "bwlogtools-2018"))

    present = {c[0] for c in cands}
    for code in ITU_CODES:
        if code not in present:
            cands.append((code, "critical", None, ITU_REASON, "itu-non-geographic"))

    for c in cands:
        if not c[0].isdigit():
            raise SystemExit(f"bad prefix {c[0]!r} from {c[4]}")

    # Merge identical prefixes.
    merged = {}
    for prefix, tier, ts, reason, src in cands:
        m = merged.setdefault(prefix, {"tier": tier, "ts": None, "reasons": [], "sources": []})
        if TIER_RANK[tier] > TIER_RANK[m["tier"]]:
            m["tier"] = tier
        if ts is not None:
            m["ts"] = ts if m["ts"] is None else min(m["ts"], ts)
        m["reasons"].append((SOURCE_ORDER.index(src), reason))
        m["sources"].append(src)

    # Drop prefixes covered by a shorter listed prefix of the same or higher tier.
    kept, dropped = {}, 0
    for prefix, m in merged.items():
        covered = any(
            prefix[:n] in merged and TIER_RANK[merged[prefix[:n]]["tier"]] >= TIER_RANK[m["tier"]]
            for n in range(1, len(prefix))
        )
        if covered:
            dropped += 1
        else:
            kept[prefix] = m

    rows = []
    for prefix in sorted(kept):
        m = kept[prefix]
        srcs = sorted(set(m["sources"]), key=SOURCE_ORDER.index)
        reasons = []
        for _, reason in sorted(m["reasons"]):
            if reason not in reasons:
                reasons.append(reason)
        rows.append([prefix, m["tier"], region_for_prefix(prefix), m["ts"] if m["ts"] is not None else 0,
                     "; ".join(reasons), "+".join(srcs)])

    tiers = Counter(r[1] for r in rows)
    comments = [
        "tollguard high-risk destination prefixes (E.164 digits without '+'), with a risk tier.",
        "Sources (facts; provenance in shared/data/README.md):",
        "  ccnq3-2013: shimaore/ccnq3-support applications/six_minutes/lib/lists.coffee.md (2013),",
        f"    {len(ccnq3)} prefixes with alert thresholds (tier_seconds 0/10/29/60).",
        "  integra: Integra / Electric Lightwave 'International Calling Options' page (undated;",
        "    19 countries blocked by default for toll fraud; a carrier policy, not a measurement).",
        "  bwlogtools-2018: aremmes/bwlogtools fraud_check.sh (2018, Beer-ware licence): NANP",
        "    traffic-pumping area codes and Caribbean/Pacific NANP groups.",
        "  itu-non-geographic: ITU-T E.164 shared codes 870/881/882/883 (satellite / international",
        "    networks), added as whole codes where the data above lacks them.",
        "Licence caveat: the ccnq3 list states no licence; it is used here as facts (prefix and",
        "  alert threshold) to derive tollguard's own table; it is not shipped verbatim and the",
        "  reason texts are tollguard's own.",
        "Derived by rates/tools/build_high_risk.py (deterministic); country = libphonenumber",
        f"  region via the Python 'phonenumbers' package {version('phonenumbers')} ('001' = non-geographic,",
        "  empty = unknown to libphonenumber, e.g. the retired Inmarsat ocean-region codes 871-874).",
        "Tiers: critical = ccnq3 tier 0 + ITU satellite/international codes; high = ccnq3 tier 10,",
        "  Integra countries, NANP Caribbean/Pacific; elevated = ccnq3 tier 29/60, US traffic pumping,",
        "  Integra LV/MC/SI (European; carrier policy only).",
        "Merging: one row per prefix, highest tier wins, sources joined with '+'; a prefix already",
        "  covered by a shorter prefix of the same or higher tier is omitted (match numbers by",
        f"  longest prefix). Rows: {len(rows)} (critical {tiers['critical']}, high {tiers['high']},",
        f"  elevated {tiers['elevated']}); {dropped} covered prefixes omitted.",
        "tier_seconds: ccnq3 alert threshold in billable seconds where the row came from ccnq3, else 0.",
        f"Generated: {GENERATED}",
    ]
    out = args.out_dir / "high-risk.csv"
    size = write_lines(out, comments, rows, ["prefix", "tier", "country", "tier_seconds", "reason", "source"])
    warn(f"wrote {out}: {len(rows)} rows, {size} bytes, {dropped} covered prefixes dropped, tiers {dict(tiers)}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Deterministic generator for tollguard's sample CDR files.

Standard library only. Run from anywhere:

    python3 samples/make_samples.py

It (re)writes, relative to this script's directory:

    asterisk/Master.csv          Asterisk cdr_csv, 18 columns, no header, 4 weeks, attacks A, B, C
    asterisk/Master-16col.csv    Asterisk cdr_csv, 16 columns, no header, 1 week, premium pair
    freepbx/cdr-export.csv       FreePBX CDR report export, 26-column header, 4 weeks, attacks D, E
    freepbx/cdr-export-old.csv   older FreePBX/Issabel export, 16-column header, 1 week, benign
    README.md                    description of every file and every planted attack

All timestamps are Europe/Berlin local wall-clock time. uniqueid epochs are the true UTC epochs of
those local times (CEST = UTC+2 until Sunday 2026-10-25 03:00 local, CET = UTC+1 afterwards).
No call is placed in the repeated hour 02:00-03:00 on 2026-10-25.
"""

import csv
import datetime as dt
import io
import os
import random

SEED = 20261122
rng = random.Random(SEED)

HERE = os.path.dirname(os.path.abspath(__file__))

PERIOD_START = dt.date(2026, 10, 5)  # Monday
PERIOD_DAYS = 28  # through Sunday 2026-11-01
DST_END_LOCAL = dt.datetime(2026, 10, 25, 3, 0, 0)  # 03:00 CEST -> 02:00 CET


def utc_epoch(local):
    """Europe/Berlin local time -> UNIX epoch (only valid for Oct/Nov 2026)."""
    if dt.datetime(2026, 10, 25, 2, 0, 0) <= local < DST_END_LOCAL:
        raise ValueError("ambiguous local time during DST change: %s" % local)
    offset = 2 if local < DST_END_LOCAL else 1
    utc = local - dt.timedelta(hours=offset)
    return int((utc - dt.datetime(1970, 1, 1)).total_seconds())


def ts(t):
    return t.strftime("%Y-%m-%d %H:%M:%S")


def digits(n):
    return "".join(str(rng.randint(0, 9)) for _ in range(n))


def lead(n):
    """n digits, first digit 2-9 (avoids service/trunk prefixes)."""
    return str(rng.randint(2, 9)) + digits(n - 1)


# --------------------------------------------------------------------------------------------
# Number factories (all produce numbers that libphonenumber accepts as valid for their type)
# --------------------------------------------------------------------------------------------

def de_landline():
    kind = rng.choices(["030", "089", "040", "069", "0221"], [40, 20, 20, 10, 10])[0]
    if kind == "0221":
        return kind + lead(7)
    return kind + lead(rng.choice([7, 8]))


def de_mobile():
    pre = rng.choice(["0151", "0160", "0170", "0176"])
    if pre == "0151":
        return pre + digits(8)  # 0151 + 8 digits
    if pre == "0170":
        return pre + digits(7)  # 0170 + 7 digits
    return pre + rng.choice([digits(7), digits(8)])  # 0160/0176: 7 or 8 digits


def intl_cheap():
    c = rng.choices(["GB", "FR", "AT", "US"], [40, 25, 20, 15])[0]
    if c == "GB":
        return "004420" + rng.choice(["7", "3"]) + digits(7)  # London 020 7xxx/3xxx xxxx
    if c == "FR":
        return "00331" + lead(8)  # Paris 01 xx xx xx xx
    if c == "AT":
        return "00431" + lead(7)  # Vienna 01 xxxxxxx
    while True:  # New York 212 NXX XXXX, no 555 exchange
        exch = lead(3)
        if exch != "555" and exch[1:] != "11":
            return "001212" + exch + digits(4)


def intl_cheap_country(n):
    if n.startswith("0044"):
        return "GB"
    if n.startswith("0033"):
        return "FR"
    if n.startswith("0043"):
        return "AT"
    if n.startswith("001"):
        return "US"
    return "?"


# --------------------------------------------------------------------------------------------
# Sites
# --------------------------------------------------------------------------------------------

AST_NAMES = [
    "Empfang", "Anna Schmidt", "Jürgen Müller", "Petra Weber", "Thomas Wagner", "Sabine Becker",
    "Michael Hoffmann", "Konferenzraum 2", "Claudia Schulz", "Stefan Koch", "Monika Richter",
    "Andreas Klein", "Katrin Wolf", "Frank Schröder", "Julia Neumann", "Lager Tor 1",
    "Markus Schwarz", "Nicole Zimmermann", "Daniel Braun", "Sandra Hofmann", "Christian Hartmann",
    "Birgit Lange", "Sebastian Schmitt", "Anja Werner", "Tobias Krause", "Melanie Meier",
    "Matthias Lehmann", "Stefanie Schmid", "Alexander Schulze", "Nadine Maier", "Florian Köhler",
    "Tobias Krüger", "Kerstin Walter", "Patrick Peters", "Susanne Möller", "Dennis König",
    "Heike Huber", "Jan Kaiser", "Yvonne Fuchs", "Serverraum",
]
AST_EXTS = {str(200 + i): AST_NAMES[i] for i in range(40)}

FPBX_NAMES = [
    "Zentrale", "Lena Bauer", "Uwe Schäfer", "Karin Vogel", "Ralf Jung", "Ines Keller",
    "Holger Günther", "Tanja Frank", "Dirk Berger", "Silke Winkler", "Oliver Roth", "Marion Beck",
    "Sven Lorenz", "Bianca Baumann", "Kai Albrecht", "Nina Schuster", "Rainer Simon",
    "Carina Ludwig", "Werkstatt", "Jens Böhm", "Doris Winter", "Marco Kraus", "Ute Martin",
    "Björn Schumacher", "Vanessa Krämer", "Lars Vogt", "Pia Stein", "Timo Jäger", "Anke Otto",
    "Erik Sommer", "Gabi Groß", "Nils Seidel", "Laura Heinrich", "Torsten Brandt", "Eva Haas",
    "René Schreiber", "Maike Graf", "Fabian Dietrich", "Lisa Ziegler", "Besprechung",
]
FPBX_EXTS = {str(300 + i): FPBX_NAMES[i] for i in range(40)}

AST_DID_BASE = "030223344"     # Berlin office: 030 223344-0, DDI 200-239
FPBX_DID_BASE = "04055667"     # Hamburg office: 040 55667-0, DDI 300-339

CONTACT_NAMES = [
    "Müller Logistik GmbH", "Steuerbüro Keller", "Autohaus Brandt", "Dr. med. Lindner",
    "Stadtwerke Service", "Kanzlei Vogt & Partner", "Bäckerei Sommer", "IT-Service Nord",
]


def build_contacts():
    land = [de_landline() for _ in range(110)]
    mob = [de_mobile() for _ in range(70)]
    intl = [intl_cheap() for _ in range(18)]
    return land, mob, intl


def zipf_pick(pool):
    # earlier pool entries are called much more often (regular business contacts)
    i = min(int(rng.paretovariate(1.1)) - 1, len(pool) - 1)
    if rng.random() < 0.35:
        i = rng.randrange(len(pool))
    return pool[i]


# --------------------------------------------------------------------------------------------
# Call model: one dict per call (= one CDR row, single leg)
# --------------------------------------------------------------------------------------------

def make_call(kind, start, src, dst, disp, billsec, ring, caller_name=None, tag=None,
              lastapp="Dial", ext=None):
    """kind: out | in | int. Times are consistent: end = start + duration,
    answer = end - billsec (answered only)."""
    if disp == "ANSWERED":
        duration = ring + billsec
        answer = start + dt.timedelta(seconds=ring)
    else:
        billsec = 0
        duration = ring
        answer = None
    end = start + dt.timedelta(seconds=duration)
    return dict(kind=kind, start=start, answer=answer, end=end, duration=duration,
                billsec=billsec, disp=disp, src=src, dst=dst, caller_name=caller_name,
                tag=tag, lastapp=lastapp, ext=ext)


def unanswered_disp(kind):
    if kind == "out":
        return rng.choices(["NO ANSWER", "BUSY", "FAILED"], [55, 30, 15])[0]
    if kind == "in":
        return rng.choices(["NO ANSWER", "BUSY"], [80, 20])[0]
    return rng.choices(["NO ANSWER", "BUSY"], [75, 25])[0]


def ring_for(disp):
    if disp == "ANSWERED":
        return rng.randint(2, 18)
    if disp == "NO ANSWER":
        return rng.randint(15, 45)
    if disp == "BUSY":
        return rng.randint(1, 6)
    return rng.randint(0, 2)  # FAILED / CONGESTION


def talk_outbound():
    r = rng.random()
    if r < 0.04:
        return rng.randint(900, 1800)
    return min(600, max(20, int(rng.lognormvariate(4.6, 0.8))))


def talk_internal():
    return min(420, max(8, int(rng.lognormvariate(4.0, 0.8))))


def talk_inbound():
    return min(1200, max(15, int(rng.lognormvariate(4.8, 0.8))))


HOUR_WEIGHTS = {8: 4, 9: 8, 10: 10, 11: 9, 12: 5, 13: 6, 14: 9, 15: 9, 16: 7, 17: 4}


def business_time(day):
    h = rng.choices(list(HOUR_WEIGHTS), list(HOUR_WEIGHTS.values()))[0]
    return dt.datetime(day.year, day.month, day.day, h, rng.randint(0, 59), rng.randint(0, 59))


def benign_day(day, exts, did_base, contacts, n_range, weekend_profile):
    """Benign traffic for one day. Returns list of calls."""
    land, mob, intl = contacts
    ext_list = list(exts)
    calls = []
    if day.weekday() < 5:
        n = rng.randint(*n_range)
        for _ in range(n):
            kind = rng.choices(["int", "nat", "intl", "in"], [40, 35, 5, 20])[0]
            start = business_time(day)
            answered = rng.random() < (0.85 if kind != "in" else 0.9)
            disp = "ANSWERED" if answered else unanswered_disp("out" if kind in ("nat", "intl") else kind)
            ring = ring_for(disp)
            if kind == "int":
                a, b = rng.sample(ext_list, 2)
                calls.append(make_call("int", start, a, b, disp, talk_internal(), ring, ext=a))
            elif kind in ("nat", "intl"):
                a = rng.choice(ext_list[1:])  # reception (x00) rarely dials out
                if kind == "nat":
                    num = zipf_pick(land) if rng.random() < 0.55 else zipf_pick(mob)
                else:
                    num = zipf_pick(intl)
                calls.append(make_call("out", start, a, num, disp, talk_outbound(), ring, ext=a))
            else:
                caller = zipf_pick(land) if rng.random() < 0.6 else zipf_pick(mob)
                if rng.random() < 0.3:
                    caller = "+49" + caller[1:]
                target = ext_list[0] if rng.random() < 0.5 else rng.choice(ext_list)
                cname = rng.choice(CONTACT_NAMES) if rng.random() < 0.25 else None
                c = make_call("in", start, caller, target, disp, talk_inbound(), ring,
                              caller_name=cname, ext=target)
                c["did"] = did_base + (target if target != ext_list[0] else "0")
                calls.append(c)
    else:
        # weekend: office closed; a few inbound calls to the main number go unanswered or
        # to voicemail (VoiceMail answers, so billsec > 0 with no dstchannel)
        for _ in range(rng.randint(*weekend_profile)):
            h = rng.randint(9, 19)
            start = dt.datetime(day.year, day.month, day.day, h, rng.randint(0, 59), rng.randint(0, 59))
            caller = zipf_pick(mob) if rng.random() < 0.6 else zipf_pick(land)
            if rng.random() < 0.5:
                c = make_call("in", start, caller, ext_list[0], "ANSWERED", rng.randint(6, 40),
                              rng.randint(20, 25), lastapp="VoiceMail", ext=ext_list[0])
            else:
                c = make_call("in", start, caller, ext_list[0], "NO ANSWER", 0, rng.randint(20, 60),
                              ext=ext_list[0])
            c["did"] = did_base + "0"
            calls.append(c)
    return calls


def anonymize_some(calls, k):
    inbound = [c for c in calls if c["kind"] == "in" and c["lastapp"] == "Dial"]
    for c in rng.sample(inbound, k):
        c["src"] = "anonymous"
        c["caller_name"] = "Anonymous"


# --------------------------------------------------------------------------------------------
# Attack generators
# --------------------------------------------------------------------------------------------

def irsf_burst(ext, t0, t1, n_calls, dests, n_tests, tag):
    """Concurrent calls from one extension to hot-range numbers. Starts in [t0, t1)."""
    calls = []
    span = int((t1 - t0).total_seconds())
    # test calls first: short failed / congested attempts a few seconds apart
    t = t0
    for i in range(n_tests):
        disp = rng.choice(["FAILED", "CONGESTION"])
        calls.append(make_call("out", t, ext, dests[i % len(dests)], disp, 0, rng.randint(0, 3),
                               tag=tag, ext=ext))
        t += dt.timedelta(seconds=rng.randint(20, 75))
    first_real = int((t - t0).total_seconds())
    offs = sorted(rng.randint(first_real, span - 1) for _ in range(n_calls - n_tests))
    weights = [rng.randint(1, 6) for _ in dests]
    for off in offs:
        start = t0 + dt.timedelta(seconds=off)
        num = rng.choices(dests, weights)[0]
        disp = "ANSWERED" if rng.random() < 0.9 else rng.choice(["NO ANSWER", "CONGESTION", "BUSY"])
        calls.append(make_call("out", start, ext, num, disp, rng.randint(60, 900), ring_for(disp),
                               tag=tag, ext=ext))
    return calls


def sequential_streams(ext, t0, t1, dests, n_streams, tag, talk_range):
    """Each stream dials its share of dests one after another, all answered, spread over [t0, t1]."""
    calls = []
    window = int((t1 - t0).total_seconds())
    for s in range(n_streams):
        nums = dests[s::n_streams]
        talks = [rng.randint(*talk_range) for _ in nums]
        rings = [ring_for("ANSWERED") for _ in nums]
        slack = window - sum(talks) - sum(rings) - 10 * len(nums)
        assert slack > 0, tag
        w = [rng.random() for _ in range(len(nums) + 1)]  # last weight = idle time at the end
        gaps = [10 + int(slack * x / sum(w)) for x in w[:-1]]
        gaps[0] -= 10  # the first call of a stream starts straight after its gap from t0
        t = t0
        for num, talk, ring, gap in zip(nums, talks, rings, gaps):
            t = t + dt.timedelta(seconds=gap)
            c = make_call("out", t, ext, num, "ANSWERED", talk, ring, tag=tag, ext=ext)
            calls.append(c)
            t = c["end"]
        assert t <= t1, (tag, t)
    return calls


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------

def q(s):
    return '"' + s.replace('"', '""') + '"'


def clid_of(name, num):
    # ast_callerid_merge(): "name" <num>, inner quotes not escaped by Asterisk itself
    if name is None:
        return '"%s" <%s>' % (num, num)
    return '"%s" <%s>' % (name, num)


class Ids:
    def __init__(self, chan_start, uid_start):
        self.chan = chan_start
        self.uid = uid_start

    def channel(self, who):
        self.chan += 1
        return "PJSIP/%s-%08x" % (who, self.chan)

    def uniqueid(self, start):
        self.uid += 1
        return "%d.%d" % (utc_epoch(start), self.uid)


def asterisk_fields(c, ids, exts, trunk):
    """Return the 18 Asterisk cdr_csv values (None = bare empty answer)."""
    kind = c["kind"]
    uid = ids.uniqueid(c["start"])
    if kind == "out":
        clid = clid_of(exts[c["src"]], c["src"])
        chan = ids.channel(c["src"])
        if c["disp"] == "FAILED" and rng.random() < 0.5:
            dchan = ""
        else:
            dchan = ids.channel(trunk)
        dcontext, lastapp, lastdata = "from-internal", "Dial", "PJSIP/%s@%s,60" % (c["dst"], trunk)
    elif kind == "int":
        clid = clid_of(exts[c["src"]], c["src"])
        chan = ids.channel(c["src"])
        dchan = ids.channel(c["dst"])
        dcontext, lastapp, lastdata = "from-internal", "Dial", "PJSIP/%s,20,tr" % c["dst"]
    else:
        clid = clid_of(c["caller_name"], c["src"])
        chan = ids.channel(trunk)
        dcontext = "from-trunk"
        if c["lastapp"] == "VoiceMail":
            dchan, lastapp, lastdata = "", "VoiceMail", "%s@default,u" % c["ext"]
        else:
            dchan, lastapp, lastdata = ids.channel(c["ext"]), "Dial", "PJSIP/%s,30,tr" % c["ext"]
    dst = c["did"] if kind == "in" else c["dst"]
    return ["", c["src"], dst, dcontext, clid, chan, dchan, lastapp, lastdata, ts(c["start"]),
            ts(c["answer"]) if c["answer"] else None, ts(c["end"]), c["duration"], c["billsec"],
            c["disp"], "DOCUMENTATION", uid, ""]


def write_asterisk(path, calls, ids, exts, trunk, ncols):
    calls.sort(key=lambda c: (c["start"], c["src"]))
    lines = []
    for c in calls:
        f = asterisk_fields(c, ids, exts, trunk)[:ncols]
        out = []
        for i, v in enumerate(f):
            if i in (12, 13):
                out.append(str(v))  # duration, billsec: bare integers
            elif v is None:
                out.append("")  # unanswered: bare empty answer field
            else:
                out.append(q(v))
        lines.append(",".join(out))
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("\n".join(lines) + "\n")
    return len(lines)


FPBX_HEADER_NEW = ("calldate,clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,duration,"
                   "billsec,disposition,amaflags,accountcode,uniqueid,userfield,did,cnum,cnam,"
                   "outbound_cnum,outbound_cnam,dst_cnam,recordingfile,linkedid,peeraccount,sequence")
FPBX_HEADER_OLD = ("calldate,clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,duration,"
                   "billsec,disposition,amaflags,accountcode,uniqueid,userfield")


def freepbx_fields(c, ids, exts, trunk, did_base, seq):
    kind = c["kind"]
    uid = ids.uniqueid(c["start"])
    stamp = c["start"].strftime("%Y%m%d-%H%M%S")
    rec = ""
    did = cnum = cnam = ocnum = dst_cnam = ""
    if kind == "out":
        clid = clid_of(exts[c["src"]], c["src"])
        chan = ids.channel(c["src"])
        dchan = "" if (c["disp"] == "FAILED" and rng.random() < 0.5) else ids.channel(trunk)
        dcontext, lastapp = "from-internal", "Dial"
        lastdata = "PJSIP/%s@%s,300,Tb(func-apply-sipheaders^s^1,(2))" % (c["dst"], trunk)
        cnum, cnam, ocnum = c["src"], exts[c["src"]], did_base + c["src"]
        if c["disp"] == "ANSWERED" and rng.random() < 0.3:
            rec = "out-%s-%s-%s-%s.wav" % (c["dst"], c["src"], stamp, uid)
    elif kind == "int":
        clid = clid_of(exts[c["src"]], c["src"])
        chan, dchan = ids.channel(c["src"]), ids.channel(c["dst"])
        dcontext, lastapp, lastdata = "from-internal", "Dial", "PJSIP/%s,20,HhTtr" % c["dst"]
        cnum, cnam, dst_cnam = c["src"], exts[c["src"]], exts[c["dst"]]
    else:
        clid = clid_of(c["caller_name"], c["src"])
        chan = ids.channel(trunk)
        dcontext = "from-trunk"
        did, cnum, cnam = c["did"], c["src"], c["caller_name"] or c["src"]
        dst_cnam = exts[c["ext"]]
        if c["lastapp"] == "VoiceMail":
            dchan, lastapp, lastdata = "", "VoiceMail", "%s@default,u" % c["ext"]
        else:
            dchan, lastapp, lastdata = ids.channel(c["ext"]), "Dial", "PJSIP/%s,30,HhTtr" % c["ext"]
            if c["disp"] == "ANSWERED" and rng.random() < 0.3:
                rec = "external-%s-%s-%s-%s.wav" % (c["ext"], c["src"], stamp, uid)
    return [ts(c["start"]), clid, c["src"], c["dst"], dcontext, chan, dchan, lastapp, lastdata,
            str(c["duration"]), str(c["billsec"]), c["disp"], "3", "", uid, "", did, cnum, cnam,
            ocnum, "", dst_cnam, rec, uid, "", str(seq)]


def write_freepbx(path, calls, ids, exts, trunk, did_base, header, ncols, seq0):
    calls.sort(key=lambda c: (c["start"], c["src"]))
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    buf.write(header + "\n")
    for i, c in enumerate(calls):
        w.writerow(freepbx_fields(c, ids, exts, trunk, did_base, seq0 + i)[:ncols])
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(buf.getvalue())
    return len(calls)


# --------------------------------------------------------------------------------------------
# Build the data sets
# --------------------------------------------------------------------------------------------

def days(start, n):
    return [start + dt.timedelta(days=i) for i in range(n)]


def at(y, m, d, hh, mm, ss=0):
    return dt.datetime(y, m, d, hh, mm, ss)


def build_asterisk_master():
    contacts = build_contacts()
    calls = []
    for day in days(PERIOD_START, PERIOD_DAYS):
        calls += benign_day(day, AST_EXTS, AST_DID_BASE, contacts, (60, 90), (0, 3))
    anonymize_some(calls, 4)

    # near miss: ext 205, Saturday afternoon, two short calls to a German mobile
    mob205 = contacts[1][3]
    calls.append(make_call("out", at(2026, 10, 10, 15, 12, 41), "205", mob205, "NO ANSWER", 0, 31,
                           tag="NM-205", ext="205"))
    calls.append(make_call("out", at(2026, 10, 10, 15, 14, 9), "205", mob205, "ANSWERED", 143, 7,
                           tag="NM-205", ext="205"))
    # near miss: ext 212, Thursday 19:30, 45 min to a London landline (Ofcom drama range)
    calls.append(make_call("out", at(2026, 10, 15, 19, 30, 27), "212", "00442079460321", "ANSWERED",
                           2700, 9, tag="NM-212", ext="212"))
    # near miss: ext 220, Tuesday 13:05, 2-hour call to a Munich landline
    calls.append(make_call("out", at(2026, 10, 13, 13, 5, 12), "220", "08923456780", "ANSWERED",
                           7215, 6, tag="NM-220", ext="220"))
    # hostile but well-formed caller name on an inbound weekday-afternoon call
    hostile = make_call("in", at(2026, 10, 8, 15, 42, 18), "03091234567", "200", "ANSWERED", 74, 5,
                        caller_name="=cmd|' /C calc'!A0 <script>alert(1)</script>, \"quoted\"",
                        tag="HOSTILE", ext="200")
    hostile["did"] = AST_DID_BASE + "0"
    calls.append(hostile)

    # Attack A: weekend IRSF burst, ext 207
    dests_a = [
        "0088216" + digits(6), "0088216" + digits(6), "0088216" + digits(6),  # Thuraya +882 16
        "008816" + digits(8), "008816" + digits(8),                           # Iridium +881 6
        "008707" + rng.choice("678") + digits(7),                            # Inmarsat +870 7[6-8]
        "008707" + rng.choice("678") + digits(7),
        "00535" + digits(7), "00535" + digits(7),                             # Cuba mobile
        "002399" + rng.choice("89") + digits(5), "002399" + rng.choice("89") + digits(5),  # Sao Tome
        "0025261" + digits(7), "0025261" + digits(7), "0025290" + digits(7),  # Somalia
        "0025271" + digits(7),
    ]
    atk_a = irsf_burst("207", at(2026, 10, 17, 1, 10), at(2026, 10, 17, 5, 40), 120, dests_a, 8, "A")
    calls += atk_a

    # Attack B: premium rate, ext 231, Wednesday 10:00-11:30
    prem_de = ["09001" + digits(6), "09003" + digits(6), "09005" + digits(6)]
    dests_b = [prem_de[i % 3] for i in range(12)] + ["004490987900" + digits(2)] * 2
    rng.shuffle(dests_b)
    atk_b = sequential_streams("231", at(2026, 10, 21, 10, 0), at(2026, 10, 21, 11, 30), dests_b, 2,
                               "B", (180, 600))
    calls += atk_b

    # Attack C: night volume spike, ext 215, Tuesday 21:00-23:30, 70 distinct German mobiles
    seen = set(contacts[1])
    dests_c = []
    while len(dests_c) < 70:
        m = de_mobile()
        if m not in seen:
            seen.add(m)
            dests_c.append(m)
    atk_c = sequential_streams("215", at(2026, 10, 27, 21, 0), at(2026, 10, 27, 23, 30), dests_c, 3,
                               "C", (120, 360))
    calls += atk_c
    return calls


def build_asterisk_16col():
    contacts = build_contacts()
    calls = []
    for day in days(PERIOD_START, 7):
        calls += benign_day(day, AST_EXTS, AST_DID_BASE, contacts, (6, 8), (0, 1))
    # premium pair: ext 233, Thursday 2026-10-08
    calls.append(make_call("out", at(2026, 10, 8, 11, 14, 3), "233", "09005555555", "ANSWERED", 412,
                           8, tag="P16", ext="233"))
    calls.append(make_call("out", at(2026, 10, 8, 11, 31, 40), "233", "09005555555", "ANSWERED", 287,
                           6, tag="P16", ext="233"))
    return calls


def build_freepbx_new():
    contacts = build_contacts()
    calls = []
    for day in days(PERIOD_START, PERIOD_DAYS):
        calls += benign_day(day, FPBX_EXTS, FPBX_DID_BASE, contacts, (25, 35), (0, 2))
    anonymize_some(calls, 2)
    # Attack D: holiday-weekend IRSF, ext 318, Sat 2026-10-31 22:00 -> Sun 2026-11-01 04:00
    dests_d = [
        "002399" + rng.choice("89") + digits(5), "002399" + rng.choice("89") + digits(5),
        "002399" + rng.choice("89") + digits(5),
        "0088216" + digits(6), "0088216" + digits(6),
        "00535" + digits(7), "00535" + digits(7),
        "0025261" + digits(7), "0025261" + digits(7), "0025290" + digits(7),
    ]
    atk_d = irsf_burst("318", at(2026, 10, 31, 22, 0), at(2026, 11, 1, 4, 0), 80, dests_d, 5, "D")
    calls += atk_d
    # Attack E: premium-rate pair, ext 326, Thursday 2026-10-22 afternoon
    prem = "09003" + digits(6)
    calls.append(make_call("out", at(2026, 10, 22, 14, 11, 52), "326", prem, "ANSWERED", 318, 7,
                           tag="E", ext="326"))
    calls.append(make_call("out", at(2026, 10, 22, 14, 24, 15), "326", prem, "ANSWERED", 547, 5,
                           tag="E", ext="326"))
    return calls


def build_freepbx_old():
    contacts = build_contacts()
    calls = []
    for day in days(PERIOD_START, 7):
        calls += benign_day(day, FPBX_EXTS, FPBX_DID_BASE, contacts, (8, 11), (0, 1))
    return calls


# --------------------------------------------------------------------------------------------
# Statistics and README
# --------------------------------------------------------------------------------------------

def attack_stats(calls, tag):
    sel = sorted((c for c in calls if c["tag"] == tag), key=lambda c: c["start"])
    disp = {}
    for c in sel:
        disp[c["disp"]] = disp.get(c["disp"], 0) + 1
    dests = []
    for c in sel:
        if c["dst"] not in dests:
            dests.append(c["dst"])
    # max concurrency
    ev = sorted([(c["start"], 1) for c in sel] + [(c["end"], -1) for c in sel])
    cur = peak = 0
    for _, d in ev:
        cur += d
        peak = max(peak, cur)
    return dict(
        ext=sel[0]["src"], n=len(sel), answered=disp.get("ANSWERED", 0),
        billsec=sum(c["billsec"] for c in sel), first=sel[0]["start"], last=sel[-1]["start"],
        end=max(c["end"] for c in sel), disp=disp, dests=dests, peak=peak,
    )


DEST_LABEL = [
    ("0088216", "Thuraya satellite (+882 16)"),
    ("008816", "Iridium satellite (+881 6)"),
    ("008707", "Inmarsat (+870)"),
    ("0053", "Cuba mobile (+53 5)"),
    ("00239", "São Tomé and Príncipe mobile (+239 9)"),
    ("00252", "Somalia mobile (+252)"),
    ("004490", "UK premium rate (+44 90x)"),
    ("0900", "German premium rate (0900)"),
    ("015", "German mobile"),
    ("016", "German mobile"),
    ("017", "German mobile"),
]


def label(num):
    for pre, lab in DEST_LABEL:
        if num.startswith(pre):
            return lab
    return "?"


def dest_table(st, calls, tag):
    rows = ["| destination | type | calls | answered | billsec |", "| --- | --- | ---: | ---: | ---: |"]
    for d in st["dests"]:
        sel = [c for c in calls if c["tag"] == tag and c["dst"] == d]
        rows.append("| `%s` | %s | %d | %d | %d |" % (
            d, label(d), len(sel), sum(1 for c in sel if c["disp"] == "ANSWERED"),
            sum(c["billsec"] for c in sel)))
    return "\n".join(rows)


def summary_line(st):
    disp = ", ".join("%s %d" % (k, v) for k, v in sorted(st["disp"].items()))
    return ("- extension **%s**; first call starts %s, last call starts %s, last call ends %s "
            "(Europe/Berlin local)\n- **%d calls**, **%d answered**, **total billsec %d** "
            "(%.1f h); dispositions: %s\n- distinct destinations: %d; most calls in progress at "
            "the same time: %d" % (
                st["ext"], ts(st["first"]), ts(st["last"]), ts(st["end"]), st["n"], st["answered"],
                st["billsec"], st["billsec"] / 3600.0, disp, len(st["dests"]), st["peak"]))


def near_miss_rows(calls, tag):
    out = []
    for c in sorted((c for c in calls if c["tag"] == tag), key=lambda c: c["start"]):
        out.append("  - %s (%s) ext %s -> `%s`, %s, duration %d s, billsec %d" % (
            ts(c["start"]), c["start"].strftime("%A"), c["src"], c["dst"], c["disp"], c["duration"],
            c["billsec"]))
    return "\n".join(out)


def readme(counts, master, m16, fnew, fold):
    sa, sb, sc = (attack_stats(master, t) for t in "ABC")
    sd, se = attack_stats(fnew, "D"), attack_stats(fnew, "E")
    sp = attack_stats(m16, "P16")
    hostile = [c for c in master if c["tag"] == "HOSTILE"][0]
    anon_m = sum(1 for c in master if c["src"] == "anonymous")
    anon_f = sum(1 for c in fnew if c["src"] == "anonymous")
    return """# tollguard sample CDR files

Generated by `make_samples.py` (Python 3, standard library only, `random.Random({seed})`, fully
deterministic). Regenerate with:

    python3 samples/make_samples.py

Everything is fictional. All external numbers are valid for their type according to Google's
libphonenumber data (checked with the `phonenumbers` Python package while writing the generator; the
generator itself does not need it). Benign international numbers are ordinary fixed lines in
London, Paris, Vienna and New York; the London near-miss number is in Ofcom's drama range
020 7946 0xxx.

**Timezone:** every timestamp in every file is **Europe/Berlin local wall-clock time** (home
country **DE**). Business hours are **Monday-Friday 08:00-18:00**. The Asterisk `uniqueid`
epochs are the true UTC epochs of those local times. Daylight saving time ends on Sunday
2026-10-25 (03:00 CEST -> 02:00 CET); no call starts in the repeated hour 02:00-03:00 that day.
Attacks A, B and E happen during CEST (UTC+2), attacks C and D during CET (UTC+1).

Dialling conventions (both sites): German national numbers with trunk prefix `0`
(`0301234567`, mobiles `015112345678`), international with `00` (`00442071234567`), internal calls
dial the 3-digit extension. Inbound caller numbers appear in national format (`0401234567`) or
E.164 (`+4915112345678`); {anon_m} inbound calls in `Master.csv` and {anon_f} in
`cdr-export.csv` are withheld (`src` = `anonymous`).

## Files

| file | format | rows | period | site |
| --- | --- | ---: | --- | --- |
| `asterisk/Master.csv` | Asterisk cdr_csv, 18 columns, no header | {c1} | Mon 2026-10-05 00:00 - Sun 2026-11-01 23:59 | Berlin office |
| `asterisk/Master-16col.csv` | Asterisk cdr_csv, 16 columns, no header | {c2} | Mon 2026-10-05 - Sun 2026-10-11 | Berlin office |
| `freepbx/cdr-export.csv` | FreePBX CDR report export, newer 26-column header | {c3} (+1 header) | Mon 2026-10-05 - Sun 2026-11-01 | Hamburg office |
| `freepbx/cdr-export-old.csv` | older FreePBX / Issabel export, 16-column header | {c4} (+1 header) | Mon 2026-10-05 - Sun 2026-10-11 | Hamburg office |

Each file is one leg per call (no transfers, ring groups or `Local/` channels). The two one-week
files are independent samples, not extracts of the four-week files.

### Sites

- **Berlin office (Asterisk files).** Extensions 200-239 (200 = `Empfang`, the reception / main
  number). One SIP trunk `telekom` (channels `PJSIP/telekom-0000a1b2`; extension channels
  `PJSIP/201-0000a1b3`). Contexts: `from-internal` (extensions), `from-trunk` (inbound). DID block
  030 223344-0: inbound `dst` is the dialled DID, `0302233440` for the main number or
  `030223344` + extension (e.g. `030223344207`).
- **Hamburg office (FreePBX files).** Extensions 300-339 (300 = `Zentrale`). SIP trunk
  `vodafone` (`PJSIP/vodafone-...`). Contexts `from-internal` (extensions), `from-trunk` (inbound). DID block 040 55667-0: on inbound rows `did` is the dialled DID
  (`040556670` main number, or `04055667` + extension), `dst` the extension, `cnum`/`cnam` the
  caller number/name. On outbound rows `cnum`/`cnam` are the extension and its name and
  `outbound_cnum` the extension's DID.

### `asterisk/Master.csv` (18 columns)

Columns: accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start,
answer, end, duration, billsec, disposition, amaflags, uniqueid, userfield. No header; every
string field double-quoted with inner quotes doubled; `duration` and `billsec` bare integers; the
`answer` of an unanswered call is a bare empty field (`...,"2026-10-05 09:12:01",,"2026-10-05
09:12:31",30,0,"NO ANSWER",...`). `amaflags` is `DOCUMENTATION`, `accountcode` and `userfield` are
empty, `uniqueid` is `<utc-epoch>.<sequence>`. Rows are sorted by start time. For every row
`end = start + duration`; for answered rows `answer = end - billsec`; unanswered rows have
`billsec` 0.

- Outbound: `dcontext` `from-internal`, `channel` `PJSIP/2xx-...`, `dstchannel`
  `PJSIP/telekom-...` (empty for some FAILED calls), `lastapp` `Dial`, `lastdata`
  `PJSIP/<dialled>@telekom,60`.
- Inbound: `channel` `PJSIP/telekom-...`, `dcontext` `from-trunk`, `dstchannel` `PJSIP/2xx-...`,
  `lastdata` `PJSIP/2xx,30,tr`. Weekend calls to the main number either ring out (NO ANSWER) or
  are answered by `VoiceMail` (`lastdata` `200@default,u`, empty `dstchannel`, billsec > 0).
- Internal: both channels are extensions, `lastdata` `PJSIP/2xx,20,tr`.
- `clid` is `"Name" <number>`; for inbound callers without a name the number doubles as the name
  (`"0301234567" <0301234567>`), as FreePBX-style caller-name lookups do.
- Caller names contain non-ASCII UTF-8 (`Jürgen Müller`, `Tobias Krüger`).

**Hostile caller ID (benign call).** One inbound call on {hostile_day} {hostile_ts} from
`{hostile_src}` to the main number (ANSWERED, {hostile_bill} s) carries the caller name
`=cmd|' /C calc'!A0 <script>alert(1)</script>, "quoted"`. The row is well-formed CSV (18 fields);
the clid field in the file is
`{hostile_field}`.
It exists to show that hostile caller IDs (CSV/formula injection, HTML) are carried through
safely. It is not an attack on the phone bill and must not be flagged.

### `asterisk/Master-16col.csv` (16 columns)

Same conventions as `Master.csv` minus `uniqueid` and `userfield` (Asterisk's code defaults: no
`loguniqueid`, no `loguserfield`). One week of light benign traffic plus a small premium-rate
pair:

{p16}

Expected finding: `premium-rate` (German 0900 is premium rate); business hours, so not
`off-hours`; two calls are not a `volume` event.

### `freepbx/cdr-export.csv` (newer FreePBX export)

Header exactly
`{hnew}`.
RFC 4180, quoted only where needed: `clid` (it contains quotes) and outbound `lastdata`
(`PJSIP/<dialled>@vodafone,300,Tb(func-apply-sipheaders^s^1,(2))`, contains commas) are quoted.
`calldate` is the call start, `YYYY-MM-DD HH:MM:SS` Berlin local. `amaflags` is `3`
(DOCUMENTATION); `linkedid` equals `uniqueid` (single-leg calls); `sequence` increases by one per
row; `recordingfile` is set on about 30 % of answered external calls (`out-...wav`,
`external-...wav`). Duration/billsec follow the same consistency rules as above (the export has
no answer/end columns).

### `freepbx/cdr-export-old.csv` (older FreePBX / Issabel export)

Header `{hold}`, one week of benign traffic at the Hamburg site, no attack. This file is written
RFC 4180-correct (inner quotes doubled). Real old FreePBX/Issabel exports often do not escape
quotes or commas inside fields; this sample does not reproduce that defect.

## Benign traffic (all files)

- Weekdays: Berlin 60-90 calls/day, Hamburg 25-35 calls/day (one-week files 6-11/day); about
  40 % internal, 35 % national (landlines in Berlin 030, Munich 089, Hamburg 040, Frankfurt 069,
  Cologne 0221; mobiles 0151/0160/0170/0176), 5 % international to GB/FR/AT/US, 20 % inbound.
  Start times 08:00-17:59 weighted towards 10-12 and 14-16. Answered talk time of outbound calls
  is 20-600 s, about 4 % last 15-30 minutes. About 10-15 % are NO ANSWER, BUSY or FAILED.
- Every benign outbound or internal call starts inside business hours, except the near misses
  below. Weekends only have a few inbound calls to the main number (NO ANSWER or VoiceMail).
- Regular contacts are reused (a fixed pool of numbers, some called far more often than others).

### Near misses in `Master.csv` (benign; should NOT be reported with high severity)

- **NM-205** weekend, short, national mobile: two calls by ext 205 on Saturday afternoon:
{nm205}
- **NM-212** evening, long, cheap international: one call by ext 212 at 19:30 on a weekday to a
  London landline. It is outside business hours and international, but to a cheap Western
  destination: at most low severity.
{nm212}
- **NM-220** very long daytime national call: ext 220, a two-hour call to a Munich landline:
{nm220}

## Planted attacks

Times are Europe/Berlin local. "billsec" is summed over the attack's rows.

### A. Weekend IRSF burst, `asterisk/Master.csv`: expected `off-hours`, `premium-rate` (high-risk destinations), `volume`

Ext 207 (`Konferenzraum 2`) is taken over on the night of Saturday 2026-10-17 (between 01:10 and
05:40) and pumps traffic to satellite networks and IRSF hot ranges, several channels at once.
The burst starts with short FAILED / CONGESTION test calls, then mostly answered calls of
60-900 s billsec.

{sa}

{ta}

### B. Premium-rate calls, `asterisk/Master.csv`: expected `premium-rate`

Ext 231 (`Tobias Krüger`) on Wednesday 2026-10-21, within business hours 10:00-11:30 (so not
`off-hours`): 12 answered calls to German 0900 premium-rate numbers and 2 answered calls to a UK
premium-rate number (+44 909 ...), 3-10 minutes each, two calls in parallel.

{sb}

{tb}

### C. Night volume spike to ordinary mobiles, `asterisk/Master.csv`: expected `volume` and `off-hours`

Ext 215 (`Lager Tor 1`, a warehouse phone) on Tuesday 2026-10-27 between 21:00 and 23:30: 70
answered calls of 2-6 minutes, each to a different German mobile number (none of them ever
called by the site otherwise), three calls in parallel: a compromised extension reselling
minutes. No exotic destination, so `premium-rate` should NOT fire.

{sc}

### D. Holiday-weekend IRSF burst, `freepbx/cdr-export.csv`: expected `off-hours`, `premium-rate` (high-risk destinations), `volume`

Ext 318 (`Werkstatt`) from Saturday 2026-10-31 22:00 (Reformation Day, a holiday in Hamburg) to
Sunday 2026-11-01 04:00: short FAILED / CONGESTION test calls, then mostly
answered calls to hot ranges.

{sd}

{td}

### E. Premium-rate pair, `freepbx/cdr-export.csv`: expected `premium-rate`

Ext 326 on Thursday 2026-10-22 in business hours, two answered calls to the same German 0900
number:

{se}

{te}

### Premium pair in `asterisk/Master-16col.csv`

See the file section above (ext 233, Thursday 2026-10-08, 0900 number, 2 calls).

## Rule summary

| id | file | ext | when (local) | calls | answered | billsec | rules expected |
| --- | --- | --- | --- | ---: | ---: | ---: | --- |
{rs}
| NM-205 | Master.csv | 205 | Sat 2026-10-10 15:12 | 2 | 1 | {nm205b} | none, or low only |
| NM-212 | Master.csv | 212 | Thu 2026-10-15 19:30 | 1 | 1 | 2700 | none, or low only |
| NM-220 | Master.csv | 220 | Tue 2026-10-13 13:05 | 1 | 1 | 7215 | none, or low only |
| HOSTILE | Master.csv | (inbound) | Thu 2026-10-08 15:42 | 1 | 1 | {hostile_bill} | none |
""".format(
        seed=SEED, anon_m=anon_m, anon_f=anon_f,
        c1=counts[0], c2=counts[1], c3=counts[2], c4=counts[3],
        hostile_day=hostile["start"].strftime("%A"), hostile_ts=ts(hostile["start"]),
        hostile_src=hostile["src"], hostile_bill=hostile["billsec"],
        hostile_field=q(clid_of(hostile["caller_name"], hostile["src"])),
        p16=summary_line(sp) + "\n\n" + dest_table(sp, m16, "P16"),
        hnew=FPBX_HEADER_NEW, hold=FPBX_HEADER_OLD,
        nm205=near_miss_rows(master, "NM-205"), nm212=near_miss_rows(master, "NM-212"),
        nm220=near_miss_rows(master, "NM-220"),
        nm205b=sum(c["billsec"] for c in master if c["tag"] == "NM-205"),
        sa=summary_line(sa), ta=dest_table(sa, master, "A"),
        sb=summary_line(sb), tb=dest_table(sb, master, "B"),
        sc=summary_line(sc), sd=summary_line(sd), td=dest_table(sd, fnew, "D"),
        se=summary_line(se), te=dest_table(se, fnew, "E"),
        rs="\n".join(
            "| %s | %s | %s | %s - %s | %d | %d | %d | %s |" % (
                i, f, s["ext"], s["first"].strftime("%a %Y-%m-%d %H:%M"),
                s["end"].strftime("%a %H:%M"), s["n"], s["answered"], s["billsec"], r)
            for i, f, s, r in [
                ("A", "Master.csv", sa, "off-hours, premium-rate, volume"),
                ("B", "Master.csv", sb, "premium-rate"),
                ("C", "Master.csv", sc, "volume, off-hours"),
                ("P16", "Master-16col.csv", sp, "premium-rate"),
                ("D", "cdr-export.csv", sd, "off-hours, premium-rate, volume"),
                ("E", "cdr-export.csv", se, "premium-rate"),
            ]),
    )


# --------------------------------------------------------------------------------------------

def check_asterisk(path, ncols):
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    bad = [i for i, r in enumerate(rows) if len(r) != ncols]
    assert not bad, "%s: rows with wrong field count: %s" % (path, bad[:5])
    for r in rows:
        start = dt.datetime.fromisoformat(r[9])
        end = dt.datetime.fromisoformat(r[11])
        assert (end - start).total_seconds() == int(r[12])
        if r[10]:
            assert (end - dt.datetime.fromisoformat(r[10])).total_seconds() == int(r[13])
        else:
            assert r[13] == "0" and r[14] != "ANSWERED"
    return len(rows)


def check_freepbx(path, header):
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert ",".join(rows[0]) == header
    n = len(rows[0])
    bad = [i for i, r in enumerate(rows) if len(r) != n]
    assert not bad, "%s: rows with wrong field count: %s" % (path, bad[:5])
    return len(rows) - 1


def main():
    os.makedirs(os.path.join(HERE, "asterisk"), exist_ok=True)
    os.makedirs(os.path.join(HERE, "freepbx"), exist_ok=True)

    master = build_asterisk_master()
    m16 = build_asterisk_16col()
    fnew = build_freepbx_new()
    fold = build_freepbx_old()

    p1 = os.path.join(HERE, "asterisk", "Master.csv")
    p2 = os.path.join(HERE, "asterisk", "Master-16col.csv")
    p3 = os.path.join(HERE, "freepbx", "cdr-export.csv")
    p4 = os.path.join(HERE, "freepbx", "cdr-export-old.csv")
    counts = [
        write_asterisk(p1, master, Ids(0xA100, 4100), AST_EXTS, "telekom", 18),
        write_asterisk(p2, m16, Ids(0x3C00, 900), AST_EXTS, "telekom", 16),
        write_freepbx(p3, fnew, Ids(0x1F00, 2200), FPBX_EXTS, "vodafone", FPBX_DID_BASE,
                      FPBX_HEADER_NEW, 26, 7001),
        write_freepbx(p4, fold, Ids(0x0800, 300), FPBX_EXTS, "vodafone", FPBX_DID_BASE,
                      FPBX_HEADER_OLD, 16, 1),
    ]
    assert counts[0] == check_asterisk(p1, 18)
    assert counts[1] == check_asterisk(p2, 16)
    assert counts[2] == check_freepbx(p3, FPBX_HEADER_NEW)
    assert counts[3] == check_freepbx(p4, FPBX_HEADER_OLD)

    with open(os.path.join(HERE, "README.md"), "w", encoding="utf-8") as fh:
        fh.write(readme(counts, master, m16, fnew, fold))

    names = ["asterisk/Master.csv", "asterisk/Master-16col.csv", "freepbx/cdr-export.csv",
             "freepbx/cdr-export-old.csv"]
    for name, n in zip(names, counts):
        print("%-28s %5d rows" % (name, n))
    for tag, calls in [("A", master), ("B", master), ("C", master), ("P16", m16), ("D", fnew),
                       ("E", fnew)]:
        s = attack_stats(calls, tag)
        print("attack %-3s ext %s  %s .. %s (last end %s)  calls %d  answered %d  billsec %d"
              % (tag, s["ext"], ts(s["first"]), ts(s["last"]), ts(s["end"]), s["n"], s["answered"],
                 s["billsec"]))


if __name__ == "__main__":
    main()

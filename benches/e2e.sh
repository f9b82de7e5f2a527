#!/usr/bin/env bash
# End-to-end benchmark (issue 7): a seeded synthetic month of a 10,000-extension PBX in Asterisk
# cdr_csv form, 1M and 5M rows, timed in one run against three references:
#   wc -l                         reading the bytes
#   csv_floor                     one single-threaded csv-crate ByteRecord pass (the parsing floor)
#   tollguard audit --output json the whole audit: import, classification, every rule, report
#   duckdb                        SELECT src, count(*), sum(billsec) ... GROUP BY src
# and prints seconds, rows/s, peak RSS and the ratios the issue's targets are stated in; then
# one run of examples/phases (import, sort, rules, report timed apart) when it is built.
#
# Build first, measure second, and hold the build lock while measuring so no compile on the
# shared machine disturbs the run:
#   cargo build --release --bin tollguard --example synth_rows --example csv_floor --example phases
#   flock /work/build.lock benches/e2e.sh            # or plain benches/e2e.sh on your own machine
# Environment: ROWS="1000000 5000000" (row counts), RUNS=1 (repetitions, the best is kept),
# CARGO_TARGET_DIR (where the release binaries are), NO_DUCKDB=1 (skip DuckDB).
# Generated files and the DuckDB venv live under target/ (never committed).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CARGO_TARGET_DIR:-$root/target}/release
work=$root/target/bench
venv=$root/target/bench-venv
rows_list=${ROWS:-"1000000 5000000"}
runs=${RUNS:-1}
mkdir -p "$work"

for b in "$bin/tollguard" "$bin/examples/synth_rows" "$bin/examples/csv_floor"; do
    if [[ ! -x $b ]]; then
        echo "missing $b: cargo build --release --bin tollguard --example synth_rows --example csv_floor" >&2
        exit 2
    fi
done

duckdb=""
if [[ -z ${NO_DUCKDB:-} ]]; then
    if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c 'import duckdb' 2>/dev/null; then
        echo "setting up DuckDB in $venv (pip)..." >&2
        if python3 -m venv "$venv" >&2 && "$venv/bin/pip" install -q duckdb >&2; then :; else
            echo "note: DuckDB could not be installed with pip; its column is skipped" >&2
        fi
    fi
    if "$venv/bin/python" -c 'import duckdb' 2>/dev/null; then
        duckdb="$venv/bin/python"
    fi
fi

# run LABEL CMD...: runs CMD $runs times with /usr/bin/time -v, output to /dev/null; sets
# SECS (best wall time) and RSS_MB (peak resident set of that run).
run() {
    local label=$1
    shift
    local best="" rss=""
    for _ in $(seq "$runs"); do
        /usr/bin/time -v -o "$work/time.txt" "$@" >"$work/out.txt" 2>"$work/err.txt" || {
            local rc=$?
            # tollguard exits 1 when it has findings: that is a result, not a failure.
            if [[ $label != audit || $rc -ne 1 ]]; then
                echo "$label failed (exit $rc):" >&2
                cat "$work/err.txt" >&2
                exit 1
            fi
        }
        local wall kb
        wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt")
        # h:mm:ss or m:ss.cc to seconds
        wall=$(awk -v t="$wall" 'BEGIN { n = split(t, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }')
        kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
        if [[ -z $best ]] || awk -v a="$wall" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$wall
            rss=$((kb / 1024))
        fi
    done
    SECS=$best
    RSS_MB=$rss
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
per_s() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "-" }'; }

echo "machine: $(lscpu | awk -F': +' '/^Model name/ {print $2}'), $(nproc) CPUs; $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src || echo '+dirty')"
declare -A audit_secs
for n in $rows_list; do
    file=$work/asterisk-$n.csv
    if [[ ! -s $file ]]; then
        echo "generating $n rows..." >&2
        "$bin/examples/synth_rows" "$n" 1 10000 >"$file"
    fi
    mb=$(($(stat -c %s "$file") / 1000000))
    # Warm the page cache so every tool reads from memory.
    cat "$file" >/dev/null
    echo
    echo "== $n rows, $mb MB =="
    printf '%-10s %9s %12s %9s %9s %9s\n' tool seconds rows/s "peak MB" "vs csv" "vs duckdb"
    run wc wc -l "$file"
    wc_s=$SECS wc_m=$RSS_MB
    run csv "$bin/examples/csv_floor" "$file"
    csv_s=$SECS csv_m=$RSS_MB
    duck_s=""
    if [[ -n $duckdb ]]; then
        run duckdb "$duckdb" -c "
import duckdb, sys
con = duckdb.connect()
rows = con.execute('''SELECT src, count(*), sum(billsec) FROM read_csv('$file', header = false,
    columns = {'accountcode': 'VARCHAR', 'src': 'VARCHAR', 'dst': 'VARCHAR', 'dcontext': 'VARCHAR',
    'clid': 'VARCHAR', 'channel': 'VARCHAR', 'dstchannel': 'VARCHAR', 'lastapp': 'VARCHAR',
    'lastdata': 'VARCHAR', 'start': 'VARCHAR', 'answer': 'VARCHAR', 'end': 'VARCHAR',
    'duration': 'BIGINT', 'billsec': 'BIGINT', 'disposition': 'VARCHAR', 'amaflags': 'VARCHAR',
    'uniqueid': 'VARCHAR', 'userfield': 'VARCHAR'}) GROUP BY src''').fetchall()
print(len(rows), 'groups')
"
        duck_s=$SECS duck_m=$RSS_MB
    fi
    run audit "$bin/tollguard" audit --output json --country DE --tz Europe/Berlin "$file"
    audit_s=$SECS audit_m=$RSS_MB
    audit_secs[$n]=$audit_s
    line() {
        printf '%-10s %9s %12s %9s %9s %9s\n' "$1" "$2" "$(per_s "$n" "$2")" "$3" \
            "$(ratio "$2" "$csv_s")" "$([[ -n $duck_s ]] && ratio "$2" "$duck_s" || echo -)"
    }
    line "wc -l" "$wc_s" "$wc_m"
    line csv "$csv_s" "$csv_m"
    [[ -n $duck_s ]] && line duckdb "$duck_s" "$duck_m"
    line tollguard "$audit_s" "$audit_m"
    if [[ -x $bin/examples/phases ]]; then
        echo "phases of one audit (examples/phases):"
        "$bin/examples/phases" "$file" | sed 's/^/  /'
    fi
done

set -- $rows_list
if [[ $# -ge 2 ]]; then
    echo
    echo "scaling: $1 -> $2 rows: time x$(ratio "${audit_secs[$2]}" "${audit_secs[$1]}") for rows x$(ratio "$2" "$1")"
fi

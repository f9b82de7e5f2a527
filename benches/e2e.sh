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
# Environment: ROWS="1000000 5000000" (row counts), RUNS=1 (rounds: every tool once a round;
# the table keeps each tool's best, and the ratios of each round, measured close together,
# are listed with their median),
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

# once LABEL CMD...: runs CMD once with /usr/bin/time -v, output to /dev/null; sets SECS (wall
# time) and RSS_MB (peak resident set).
once() {
    local label=$1
    shift
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
    SECS=$(awk -v t="$wall" 'BEGIN { n = split(t, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }')
    kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
    RSS_MB=$((kb / 1024))
}

# keep LABEL: keeps the run just made if it is LABEL's best so far (BEST_S, BEST_M).
declare -A BEST_S BEST_M
keep() {
    if [[ -z ${BEST_S[$1]:-} ]] || awk -v a="$SECS" -v b="${BEST_S[$1]}" 'BEGIN { exit !(a < b) }'; then
        BEST_S[$1]=$SECS
        BEST_M[$1]=$RSS_MB
    fi
}

# median of the numbers given
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

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
    # Rounds, each running every tool once, so that the ratios of one round are measured
    # minutes apart at most: on a shared machine the speed drifts by 20 % and more.
    BEST_S=() BEST_M=()
    vs_csv=() vs_duck=()
    for _ in $(seq "$runs"); do
        once wc wc -l "$file"
        keep wc
        once csv "$bin/examples/csv_floor" "$file"
        keep csv
        round_csv=$SECS round_duck=""
        if [[ -n $duckdb ]]; then
            once duckdb "$duckdb" -c "
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
            keep duckdb
            round_duck=$SECS
        fi
        once audit "$bin/tollguard" audit --output json --country DE --tz Europe/Berlin "$file"
        keep audit
        vs_csv+=("$(ratio "$SECS" "$round_csv")")
        [[ -n $round_duck ]] && vs_duck+=("$(ratio "$SECS" "$round_duck")")
    done
    wc_s=${BEST_S[wc]} wc_m=${BEST_M[wc]}
    csv_s=${BEST_S[csv]} csv_m=${BEST_M[csv]}
    duck_s=${BEST_S[duckdb]:-} duck_m=${BEST_M[duckdb]:-}
    audit_s=${BEST_S[audit]} audit_m=${BEST_M[audit]}
    audit_secs[$n]=$audit_s
    line() {
        printf '%-10s %9s %12s %9s %9s %9s\n' "$1" "$2" "$(per_s "$n" "$2")" "$3" \
            "$(ratio "$2" "$csv_s")" "$([[ -n $duck_s ]] && ratio "$2" "$duck_s" || echo -)"
    }
    line "wc -l" "$wc_s" "$wc_m"
    line csv "$csv_s" "$csv_m"
    [[ -n $duck_s ]] && line duckdb "$duck_s" "$duck_m"
    line tollguard "$audit_s" "$audit_m"
    echo "(best of $runs) audit/csv per round: ${vs_csv[*]} (median $(median "${vs_csv[@]}"))"
    if [[ ${#vs_duck[@]} -gt 0 ]]; then
        echo "            audit/duckdb per round: ${vs_duck[*]} (median $(median "${vs_duck[@]}"))"
    fi
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

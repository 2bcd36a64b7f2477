# Helpers the HTTP benches source (bench/http/*.sh): wrk figures and medians.
# measure CONNECTIONS SECONDS WRK_ARGS...: one wrk run (2 threads), printed "req/s p50_ms p99_ms".
measure() {
  local connections=$1 seconds=$2
  shift 2
  wrk -t2 -c"$connections" -d"${seconds}s" --latency "$@" | awk '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 }
    END { printf "%s %.3f %.3f\n", rps, p50, p99 }'
}
# The median of the numbers on stdin, one a line.
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# Installs wrk when it is missing (as root, or with sudo).
need_wrk() {
  command -v wrk >/dev/null && return
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq wrk >/dev/null; else sudo apt-get install -y -qq wrk >/dev/null; fi
}

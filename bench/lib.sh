# shellcheck shell=bash
# shellcheck disable=SC2034 # RPS, CPU_US, P50 and P99 are read by the scripts that source this
# Shared by the bench scripts (sourced): load tests with wrk, figures against goals.
# The caller sets SERVER_PID (the server measured) and DURATION (seconds per load test).

# The server's CPU time so far (user + system), in clock ticks.
TICKS_PER_SECOND=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }

# Runs wrk and prints: requests/s, p50 and p99 latency, and the server's CPU per request.
# Sets RPS and CPU_US (µs of server CPU per request) for the caller's goals.
load() { # name, connections, wrk args...
  local name=$1 connections=$2; shift 2
  local out before after requests
  before=$(cpu_ticks)
  out=$(wrk --latency -t"$(( connections < 2 ? 1 : 2 ))" -c"$connections" -d"${DURATION}s" "$@")
  after=$(cpu_ticks)
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  local p50 p99
  RPS=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  CPU_US=$(awk -v t=$((after - before)) -v n="$requests" -v hz="$TICKS_PER_SECOND" \
    'BEGIN {printf "%.0f", (n > 0 ? t * 1e6 / hz / n : 0)}')
  printf '%-38s c%-3s %10s req/s   p50 %8s   p99 %8s   CPU %5s µs/req\n' \
    "$name" "$connections" "$RPS" "$p50" "$p99" "$CPU_US"
  P50=$p50; P99=$p99
  grep -q "Non-2xx or 3xx" <<<"$out" && grep "Non-2xx" <<<"$out" | sed 's/^/    /'
  true
}

# wrk's latency ("812.00us", "1.20ms", "2.00s") in µs.
micros() { awk -v v="$1" 'BEGIN {
  if (v ~ /us$/) { sub(/us$/, "", v); print v + 0 }
  else if (v ~ /ms$/) { sub(/ms$/, "", v); print v * 1000 }
  else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000000 }
  else print v }'; }

# "figure against goal": met or missed, said in words.
goal() { # description, met (0/1)
  if [ "$2" = 1 ]; then printf '    goal %-60s met\n' "$1"; else printf '    goal %-60s MISSED\n' "$1"; fi
}

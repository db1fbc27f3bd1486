#!/usr/bin/env bash
# Checks the deployment files: systemd units (systemd-analyze verify, with the
# ExecStart paths pointed at this build) and Prometheus alert rules (promtool),
# which must be exactly what `peergridctl alert-rules` generates from the alarm
# rules table (hub/alarm_rules.h).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
case "$build" in /*) ;; *) build="$PWD/$build" ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for unit in deploy/systemd/*.service; do
  sed "s#/usr/local/bin/#$build/bin/#g" "$unit" > "$tmp/$(basename "$unit")"
done
# verify prints problems on stderr and exits non-zero on errors; warnings about
# the absent user or docs are not errors.
out=$(systemd-analyze verify "$tmp"/*.service 2>&1) || { echo "$out" >&2; exit 1; }
if echo "$out" | grep -qiE "error|invalid|unknown|failed"; then echo "$out" >&2; exit 1; fi
echo "deploy: systemd units ok"
if ! "$build/bin/peergridctl" alert-rules > "$tmp/peergrid-alerts.yml"; then
  echo "deploy: $build/bin/peergridctl alert-rules failed (build peergridctl first)" >&2
  exit 1
fi
if ! diff -u deploy/prometheus/peergrid-alerts.yml "$tmp/peergrid-alerts.yml" >&2; then
  echo "deploy: deploy/prometheus/peergrid-alerts.yml differs from the alarm rules table;" \
       "regenerate it: $build/bin/peergridctl alert-rules > deploy/prometheus/peergrid-alerts.yml" >&2
  exit 1
fi
promtool check rules deploy/prometheus/peergrid-alerts.yml >/dev/null
# The scrape config names files that exist only on a deployed host: check a
# copy whose paths point at stand-ins.
touch "$tmp/ca.pem" "$tmp/token"
sed -e "s#/etc/peergrid/tls/ca.pem#$tmp/ca.pem#" \
    -e "s#/etc/prometheus/peergrid-metrics.token#$tmp/token#" \
    -e "s#/usr/share/peergrid/prometheus/#$PWD/deploy/prometheus/#" \
    deploy/prometheus/prometheus.yml > "$tmp/prometheus.yml"
promtool check config "$tmp/prometheus.yml" >/dev/null
(cd deploy/prometheus && promtool test rules peergrid-alerts.test.yml)
echo "deploy: prometheus rules ok"

#!/usr/bin/env bash
# Layering check (STYLE.md): the pure modules — matching/, common/ and the pure
# parts of hub/ (hub/include, hub/src) — include no gRPC, RocksDB, OpenSSL or
# generated protobuf headers. Exits non-zero naming each offending line.
set -euo pipefail
cd "$(dirname "$0")/.."
pattern='#[[:space:]]*include[[:space:]]*[<"](grpc|grpcpp|rocksdb|openssl|google/protobuf)/|#[[:space:]]*include[[:space:]]*[<"][^">]*\.pb\.h[">]'
dirs=(matching common)
[ -d hub/include ] && dirs+=(hub/include)
[ -d hub/src ] && dirs+=(hub/src)
if hits=$(grep -rnE "$pattern" "${dirs[@]}" --include='*.h' --include='*.cc' 2>/dev/null); then
  echo "layering: pure modules must not include gRPC, RocksDB, OpenSSL or generated proto headers:" >&2
  echo "$hits" >&2
  exit 1
fi
echo "layering: ok (${dirs[*]})"

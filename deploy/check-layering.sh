#!/usr/bin/env bash
# Layering check (STYLE.md, docs/ARCHITECTURE.md): every arrow between modules
# points one way, and the subsystems that must not touch a library do not
# include it. CMake cannot enforce this (every header is in /usr/include), so
# this greps the includes. Exits non-zero naming each offending line.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0

# fail_if_includes DESCRIPTION REGEX DIR...: no file under DIRs includes REGEX.
fail_if_includes() {
  local what=$1 regex=$2
  shift 2
  local hits
  if hits=$(grep -rnE "#[[:space:]]*include[[:space:]]*[<\"]($regex)" "$@" \
              --include='*.h' --include='*.cc' 2>/dev/null); then
    echo "layering: $what:" >&2
    echo "$hits" >&2
    status=1
  fi
}

grpc='grpc/|grpcpp/|[^">]*\.grpc\.pb\.h'
rocks='rocksdb/'
ossl='openssl/'
pb='google/protobuf/|[^">]*\.pb\.h'
# peergrid::storage (ledger/storage/) is RocksDB's helper: its headers include it.
storage='peergrid/storage/'

# The pure core: no gRPC, RocksDB, OpenSSL or generated protobuf.
fail_if_includes "pure modules (common/, matching/, hub/) include gRPC, RocksDB, OpenSSL or proto" \
  "$grpc|$rocks|$storage|$ossl|$pb" common matching hub
# ledger/ hides RocksDB and OpenSSL behind its interface: its public headers name neither.
fail_if_includes "ledger's public headers expose RocksDB or OpenSSL" "$rocks|$storage|$ossl" ledger/include
# storage/ is a leaf beside the ledger: RocksDB, Abseil and itself, no other module.
if hits=$(grep -rnE '#[[:space:]]*include[[:space:]]*"peergrid/[a-z_]+/' ledger/storage \
            --include='*.h' --include='*.cc' --exclude='*_test.cc' | grep -vE '"peergrid/storage/'); then
  echo "layering: ledger/storage/ may include only peergrid/storage/:" >&2
  echo "$hits" >&2
  status=1
fi
# The exchange core and the telemetry store are served by server/, never serve themselves.
fail_if_includes "exchange/ or telemetry/ include gRPC" "$grpc" services/exchange services/telemetry
fail_if_includes "exchange/ includes RocksDB (the ledger stores it)" "$rocks|$storage" services/exchange
fail_if_includes "convert/ or runtime/ include gRPC or RocksDB" "$grpc|$rocks|$storage" \
  services/convert services/runtime
# The regulator's audit trusts nothing the operator runs: not the exchange,
# not the server, not the ledger's writer.
fail_if_includes "audit/ includes the exchange, the server or ledger/ledger.h" \
  'peergrid/(exchange|server|telemetry|node|community)/|peergrid/ledger/ledger\.h' \
  services/audit/include services/audit/src

# allow SUBSYSTEM MODULES...: SUBSYSTEM's library code includes peergrid/<m>/ only
# for the listed m (and itself and proto's peergrid/v1/). Its tests (*_test.cc)
# and test-only fixtures (<sub>/testing/) may reach further, to stand up real peers.
allow() {
  local sub=$1
  shift
  local ok="$sub|v1|$(IFS='|'; echo "$*")"
  local hits
  if hits=$(grep -rnE '#[[:space:]]*include[[:space:]]*"peergrid/[a-z_]+/' "services/$sub" \
              --include='*.h' --include='*.cc' --exclude='*_test.cc' --exclude-dir=testing |
            grep -vE "\"peergrid/($ok)/"); then
    echo "layering: services/$sub/ may include only peergrid/{$*}/:" >&2
    echo "$hits" >&2
    status=1
  fi
}
allow runtime   common
allow rpc       common
allow http      common rpc
allow convert   common matching hub ledger
allow exchange  common matching hub ledger convert runtime
allow telemetry common hub exchange convert runtime storage
allow audit     common matching ledger convert rpc runtime
allow server    common matching hub ledger convert runtime rpc http exchange telemetry
allow node      common matching hub ledger convert runtime rpc storage
allow community common ledger matching convert runtime rpc node

# Tests and benchmarks use public headers only: no other target's src/.
fail_if_includes "tests/ or bench/ include a src/ header" '[^">]*src/' tests bench

if [ "$status" -ne 0 ]; then exit 1; fi
echo "layering: ok"

#!/usr/bin/env bash
# Fuzzes the agency API against its own OpenAPI document with schemathesis:
# starts the debug server on a free port with a fresh SQLite file, demo data
# (whose agency has the fixed test key below) and API rate limits out of the
# way, then sends generated valid and invalid requests to every /api/v1
# operation. Fails on any 5xx, and on any answer whose status, content type,
# headers or body the document does not describe.
#
#   scripts/schemathesis.sh [--no-build] [OPTION...]
#
# builds the server first (cargo build -p server) unless --no-build, then
# uses ./target/debug/server; OPTIONs go to `schemathesis run` after this
# script's own (a later --checks, --seed or --max-examples wins), e.g.
#   scripts/schemathesis.sh --no-build --checks all --continue-on-failure
#
# Settings (environment): SCHEMATHESIS_MAX_EXAMPLES (default 50 per
# operation and phase; a run takes about 30 s, with 300 about 100 s),
# SCHEMATHESIS_SEED (default random; the run prints the seed it used, and
# the same seed replays it), SCHEMATHESIS_TIMEOUT (hard bound on the
# fuzzing, in seconds; default 180). The server's log and schemathesis's
# JUnit report are kept when the run fails.
set -euo pipefail
cd "$(dirname "$0")/.."

build=true
if [[ ${1:-} == --no-build ]]; then
  build=false
  shift
fi

source scripts/env.sh
source scripts/free_port.sh

API_KEY=tlm_test_DemoKeyForTheSandbox000000000001

# scripts/setup.sh installs schemathesis (and exports SCHEMATHESIS).
SCHEMATHESIS="${SCHEMATHESIS:-${TOLEM_TOOLS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/tolem-venv}/bin/schemathesis}"
if ! "$SCHEMATHESIS" --version >/dev/null 2>&1; then
  echo "schemathesis is not installed at $SCHEMATHESIS: run scripts/setup.sh" >&2
  exit 1
fi

if $build; then
  # The API needs no site assets: the server binary alone will do. env.sh's
  # variables keep this build sharing artifacts with cargo-leptos's.
  cargo build -p server
fi

work=$(mktemp -d)
server_pid=""
stop_server() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap stop_server EXIT

port=$(free_port)
base="http://127.0.0.1:$port"
LEPTOS_SITE_ADDR="127.0.0.1:$port" \
DATABASE_URL="sqlite://$work/schemathesis.db?mode=rwc" \
TOLEM_PROCESSOR=sandbox TOLEM_TEST_MODE=true \
TOLEM_DEMO_DATA=true \
TOLEM_LOG="${TOLEM_LOG:-info}" \
TOLEM_ATTEMPT_LIMITS=false TOLEM_LOOKUPS_PER_MINUTE=0 \
TOLEM_API_POSTS_PER_SECOND=100000 TOLEM_API_GETS_PER_SECOND=100000 \
  ./target/debug/server >"$work/server.log" 2>&1 </dev/null &
server_pid=$!
for _ in $(seq 1 120); do
  curl -fsS "$base/health" >/dev/null 2>&1 && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    cat "$work/server.log"
    exit 1
  fi
  sleep 0.5
done
curl -fsS "$base/api/v1/openapi.json" >/dev/null

# Hooks that let generated requests reach past the first checks. They change
# only what is sent: answers are checked against the document as served.
# - links from a created (or cancelled) request's code to reading, cancelling
#   and listing the events of that request, so the stateful phase runs
#   create -> read/cancel/events chains (the document has no links);
# - the rules the server enforces on a new request and the Idempotency-Key
#   that the document does not state (no control characters, not blank, the
#   operator's maximum amount, a key of 1 to 255 visible ASCII characters),
#   so that "valid" requests are mostly valid; invalid ones are still sent
#   (drop these once the document states them);
# - most generated expires_at moved into the window the server accepts (in
#   the future, at most 366 days ahead), which a JSON Schema cannot say;
#   a quarter are left as generated, mostly in the past, to be refused;
#   and an amount generated as a whole float (398.0, which JSON Schema
#   counts as an integer and the server refuses) sent as 398.
cat >"$work/hooks.py" <<'PY'
import hashlib
import re
from datetime import datetime, timedelta, timezone

import schemathesis

CREATE = "POST /api/v1/payment-requests"
ONE = "/api/v1/payment-requests/{code}"


# Text the server accepts: no control character (Rust's char::is_control),
# and something besides white space.
TEXT = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
MAX_AMOUNT = 100_000_000  # 1,000,000 som, the default maximum
START = datetime.now(timezone.utc).replace(microsecond=0)
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$")


@schemathesis.hook
def before_load_schema(context, raw_schema):
    paths = raw_schema.get("paths", {})

    new = raw_schema.get("components", {}).get("schemas", {}).get("NewPaymentRequest", {})
    properties = new.get("properties", {})
    for name in ("applicant_name", "reference", "description"):
        if name in properties:
            properties[name]["pattern"] = TEXT
    if "amount" in properties:
        properties["amount"]["maximum"] = MAX_AMOUNT
    for item in paths.values():
        for operation in item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") == "header" and parameter.get("name", "").lower() == "idempotency-key":
                    parameter["schema"] = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7e]+$"}

    targets = {
        "read": ("get", ONE),
        "cancel": ("post", ONE + "/cancel"),
        "events": ("get", ONE + "/events"),
    }
    sources = [
        ("post", "/api/v1/payment-requests", "201", "$response.body#/code"),
        ("post", ONE + "/cancel", "200", "$response.body#/code"),
    ]
    for method, path, status, expression in sources:
        response = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
        if response is None:
            continue
        links = response.setdefault("links", {})
        for name, (target_method, target_path) in targets.items():
            operation_id = paths.get(target_path, {}).get(target_method, {}).get("operationId")
            if operation_id:
                links[name] = {"operationId": operation_id, "parameters": {"code": expression}}


# Just before sending, not in a map_case or map_body hook: a case hook
# stalls Hypothesis's search (seen with --max-examples 300), and the
# examples and coverage phases apply no body hooks.
@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.label != CREATE or not isinstance(case.body, dict):
        return
    body = case.body
    amount = body.get("amount")
    if isinstance(amount, float) and amount.is_integer() and abs(amount) < 2**63:
        body = {**body, "amount": int(amount)}
    value = body.get("expires_at")
    if not isinstance(value, str) or not RFC3339.match(value):
        case.body = body
        return  # not a time: the server is to refuse it as it is
    digest = int.from_bytes(hashlib.sha256(value.encode()).digest()[:8], "big")
    # 2000-01-01T00:00:00Z is the coverage phase's base value for every
    # date-time: left as it is, it would hide what that phase varies.
    if digest % 4 == 0 and not value.startswith("2000-01-01"):
        case.body = body
        return
    # From a time fixed when the hooks load, not now(): the same generated
    # case must make the same request each time Hypothesis replays it (a
    # request that differs would meet its Idempotency-Key's first request).
    moved = START + timedelta(minutes=10, seconds=digest % (365 * 24 * 3600))
    case.body = {**body, "expires_at": moved.isoformat(timespec="seconds").replace("+00:00", "Z")}
PY

seed_args=()
[[ -n ${SCHEMATHESIS_SEED:-} ]] && seed_args=(--seed "$SCHEMATHESIS_SEED")

# Run from $work: schemathesis keeps a .schemathesis/ folder (crash files)
# where it runs, and --generation-database none keeps Hypothesis's
# .hypothesis/ away too. The outer timeout is the hard bound (SIGINT, then
# SIGKILL 20 s later).
status=0
cd "$work"
SCHEMATHESIS_HOOKS="$work/hooks.py" \
  timeout --signal=INT --kill-after=20 "${SCHEMATHESIS_TIMEOUT:-180}" \
  "$SCHEMATHESIS" run "$base/api/v1/openapi.json" \
    --header "Authorization: Bearer $API_KEY" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-50}" \
    --workers 2 \
    --request-timeout 10 \
    --generation-database none \
    --report junit --report-dir "$work" \
    --no-color \
    "${seed_args[@]}" \
    "$@" \
    </dev/null || status=$?

cd - >/dev/null
stop_server
trap - EXIT

# A panic off the request path (a worker's) answers no request with a 5xx:
# the server's log shows it.
if grep -q 'panicked' "$work/server.log"; then
  echo "schemathesis: the server panicked"
  [[ $status -ne 0 ]] || status=1
fi
if [[ $status -ne 0 ]]; then
  if [[ $status -eq 124 || $status -eq 137 ]]; then
    echo "schemathesis: stopped after ${SCHEMATHESIS_TIMEOUT:-180} s"
  fi
  if grep -qE 'panicked|ERROR' "$work/server.log"; then
    echo "== server log, errors and panics:"
    grep -E -A3 'panicked|ERROR' "$work/server.log" | head -100
  fi
  echo "server log and JUnit report kept in $work"
  exit "$status"
fi
rm -rf "$work"

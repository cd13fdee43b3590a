#!/usr/bin/env bash
# Smoke test of the test OP with curl, on 127.0.0.1 only.
# Usage: tests/idp/smoke.sh   (after `npm ci` in tests/idp)
set -euo pipefail
cd "$(dirname "$0")"

REDIRECT_URI=http://127.0.0.1:45678/callback
WORK=$(mktemp -d)
JAR=$WORK/cookies
trap 'rm -rf "$WORK"' EXIT

# Like the Rust test: stdin and stdout are pipes; closing stdin stops the OP.
coproc IDP { REDIRECT_URI=$REDIRECT_URI PORT=0 exec node server.mjs 2>"$WORK/stderr"; }
read -r -t 20 line <&"${IDP[0]}"
[[ $line =~ ^listening\ (http://127\.0\.0\.1:[0-9]+)$ ]] || { echo "unexpected first line: $line"; exit 1; }
ISSUER=${BASH_REMATCH[1]}
echo "OP: $ISSUER"

fail() { echo "FAIL: $*"; cat "$WORK/stderr"; exit 1; }
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(JSON.stringify(eval(process.argv[1])))})' "$1"; }
header() { tr -d '\r' | sed -n "s/^$1: //Ip" | tail -1; }

# 1. Authorization request (a fresh cookie jar, as a browser would have).
AUTHZ="$ISSUER/auth?client_id=broker&response_type=code&scope=openid&redirect_uri=$(node -p 'encodeURIComponent(process.argv[1])' "$REDIRECT_URI")&state=xyz&nonce=n1&login_hint=hello%40example.com&ui_locales=fr&prompt=select_account&max_age=300&acr_values=urn%3Aexample%3Aloa%3A2&screen_name=hello"
curl -sS -o /dev/null -D "$WORK/h1" -c "$JAR" -b "$JAR" "$AUTHZ"
status=$(head -1 "$WORK/h1" | cut -d' ' -f2); loc=$(header Location <"$WORK/h1")
echo "1. GET /auth -> $status $loc"
[[ $status == 303 && $loc == /interaction/* ]] || fail "authorization request not sent to the interaction"

# 2. What the OP received.
curl -sS "$ISSUER/_test/last-authorization" >"$WORK/last.json"
echo "2. last-authorization: $(json '({accepted:v.accepted,outcome:v.outcome,error:v.error})' <"$WORK/last.json")"
[[ $(json 'v.accepted' <"$WORK/last.json") == true ]] || fail "not accepted"
for kv in client_id=broker response_type=code scope=openid "redirect_uri=$REDIRECT_URI" state=xyz nonce=n1 \
          login_hint=hello@example.com ui_locales=fr prompt=select_account max_age=300 \
          acr_values=urn:example:loa:2 screen_name=hello; do
  k=${kv%%=*}; v=${kv#*=}
  got=$(json "v.query[\"$k\"]" <"$WORK/last.json")
  [[ $got == "[\"$v\"]" ]] || fail "query $k = $got, want [\"$v\"]"
done
echo "   all 12 parameters present once with the sent values"

# 3. Login page shows the forwarded login_hint.
curl -sS -c "$JAR" -b "$JAR" "$ISSUER$loc" >"$WORK/login.html"
grep -q '<input name="login" value="hello@example.com">' "$WORK/login.html" || fail "login page lacks login_hint"
grep -q '&quot;screen_name&quot;: &quot;hello&quot;' "$WORK/login.html" || fail "login page lacks screen_name"
echo "3. GET $loc -> login form with value=hello@example.com (screen_name in params)"

# 4. Post the login form; follow the redirects up to the client's redirect_uri.
curl -sS -o /dev/null -D "$WORK/h4" -c "$JAR" -b "$JAR" --data-urlencode login=hello@example.com "$ISSUER$loc/login"
resume=$(header Location <"$WORK/h4")
echo "4. POST $loc/login -> $(head -1 "$WORK/h4" | cut -d' ' -f2) $resume"
curl -sS -o /dev/null -D "$WORK/h5" -c "$JAR" -b "$JAR" "$resume"
cb=$(header Location <"$WORK/h5")
echo "5. GET resume -> $(head -1 "$WORK/h5" | cut -d' ' -f2) $cb"
[[ $cb == "$REDIRECT_URI?"* ]] || fail "not redirected to redirect_uri"
code=$(node -p 'new URL(process.argv[1]).searchParams.get("code")' "$cb")
state=$(node -p 'new URL(process.argv[1]).searchParams.get("state")' "$cb")
[[ $state == xyz && -n $code && $code != null ]] || fail "bad callback $cb"

# 6. Token exchange (client_secret_basic, no PKCE).
curl -sS -u broker:broker-secret -d grant_type=authorization_code --data-urlencode "code=$code" \
  --data-urlencode "redirect_uri=$REDIRECT_URI" "$ISSUER/token" >"$WORK/token.json"
idt=$(json 'v.id_token' <"$WORK/token.json" | tr -d '"')
[[ $idt == *.*.* ]] || fail "no id_token: $(cat "$WORK/token.json")"
payload=$(node -p 'Buffer.from(process.argv[1].split(".")[1],"base64url").toString()' "$idt")
echo "6. POST /token -> id_token payload $payload"
acr=$(echo "$payload" | json 'v.acr')
[[ $acr == '"urn:example:loa:2"' ]] || fail "acr $acr"
[[ $(echo "$payload" | json 'v.nonce') == '"n1"' ]] || fail "nonce"
[[ $(echo "$payload" | json 'v.sub') == '"hello@example.com"' ]] || fail "sub"

# 7. Duplicated prompt is rejected.
curl -sS -o /dev/null -D "$WORK/h7" "$ISSUER/auth?client_id=broker&response_type=code&scope=openid&redirect_uri=$REDIRECT_URI&state=dup&prompt=login&prompt=consent"
echo "7. duplicated prompt -> $(head -1 "$WORK/h7" | cut -d' ' -f2) $(header Location <"$WORK/h7")"
curl -sS "$ISSUER/_test/last-authorization" >"$WORK/last2.json"
echo "   last-authorization: $(json '({query:v.query.prompt,accepted:v.accepted,error:v.error,error_description:v.error_description})' <"$WORK/last2.json")"
[[ $(json 'v.accepted' <"$WORK/last2.json") == false && $(json 'v.error' <"$WORK/last2.json") == '"invalid_request"' ]] || fail "duplicate prompt accepted"

# Closing stdin stops the OP.
exec {IDP[1]}>&-
wait "$IDP_PID" || true
echo "OP stopped after stdin closed"
echo "7 passed, 0 failed"

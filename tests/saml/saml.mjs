// Test-only SAML pair for the HTTP-Redirect binding test of the Rust crate (tests/saml.rs).
//
//   node saml.mjs sign        prints a signed AuthnRequest URL (HTTP-Redirect binding)
//   node saml.mjs verify URL  checks that URL as the IdP would: exit 0 and "ok" when valid
//
// The SP signs with samlify; the IdP side verifies with samlify's own
// `IdentityProvider#parseLoginRequest(sp, 'redirect', ...)`, which also validates the
// AuthnRequest against the SAML XML schemas (xmllint compiled to WebAssembly).
// The key and certificate beside this file are throwaway, test-only material.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as samlify from 'samlify';
import * as xmllint from '@authenio/samlify-xmllint-wasm';

const here = dirname(fileURLToPath(import.meta.url));
const KEY = readFileSync(join(here, 'test-only-sp-key.pem'), 'utf8');
const CERT = readFileSync(join(here, 'test-only-sp-cert.pem'), 'utf8');

const SSO_URL = 'https://idp.example.test/saml/sso';
const SP_ENTITY_ID = 'https://broker.example.test/saml/metadata';
const ACS_URL = 'https://broker.example.test/saml/acs';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
// Characters that encodeURIComponent leaves as they are and application/x-www-form-urlencoded
// would escape (`~`, `(`, `)`, `!`, `*`): re-encoding any of them breaks the signature. No
// space (some libraries sign a space as %20 but write `+`) and no `'` (left bare by
// encodeURIComponent, but a browser sends it as %27, so the IdP would see another octet string).
const RELAY_STATE = '/after-login?next=/a/b~c(1)!*&n=2';

samlify.setSchemaValidator(xmllint);

const sp = samlify.ServiceProvider({
  entityID: SP_ENTITY_ID,
  authnRequestsSigned: true,
  wantAssertionsSigned: true,
  privateKey: KEY,
  signingCert: CERT,
  requestSignatureAlgorithm: RSA_SHA256,
  assertionConsumerService: [{ Binding: POST, Location: ACS_URL }],
});

const idp = samlify.IdentityProvider({
  entityID: 'https://idp.example.test/saml/metadata',
  wantAuthnRequestsSigned: true,
  singleSignOnService: [{ Binding: REDIRECT, Location: SSO_URL }],
  singleLogoutService: [{ Binding: REDIRECT, Location: 'https://idp.example.test/saml/slo' }],
});

function sign() {
  const { context } = sp.createLoginRequest(idp, 'redirect', { relayState: RELAY_STATE });
  process.stdout.write(`${context}\n`);
}

// The octet string of the HTTP-Redirect binding (SAML bindings 3.4.4.1), built the way
// the bindings recommend a receiver build it: from the pairs exactly as they appear in
// the received URL (their original encoding), in the order SAMLRequest, RelayState,
// SigAlg, whatever else the query carries. A name given twice is refused.
function octetString(rawQuery) {
  const raw = new Map();
  for (const pair of rawQuery.split('&')) {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    if (!['SAMLRequest', 'RelayState', 'SigAlg', 'Signature'].includes(name)) continue;
    if (raw.has(name)) throw new Error(`${name} given twice`);
    raw.set(name, pair);
  }
  return ['SAMLRequest', 'RelayState', 'SigAlg']
    .filter((name) => raw.has(name))
    .map((name) => raw.get(name))
    .join('&');
}

async function verify(location) {
  // Parsed as a browser parses a Location before it sends the request: the IdP verifies
  // the query it receives.
  const url = new URL(location);
  if (`${url.origin}${url.pathname}` !== SSO_URL) {
    throw new Error(`not this IdP's SSO endpoint: ${url.origin}${url.pathname}`);
  }
  const rawQuery = url.search.slice(1);
  const query = Object.fromEntries(new URLSearchParams(rawQuery));
  const result = await idp.parseLoginRequest(sp, 'redirect', {
    query,
    octetString: octetString(rawQuery),
  });
  if (result.sigAlg !== RSA_SHA256) {
    throw new Error(`signature not checked with rsa-sha256: ${result.sigAlg}`);
  }
  const { issuer, request } = result.extract;
  if (issuer !== SP_ENTITY_ID || request.destination !== SSO_URL) {
    throw new Error(`unexpected AuthnRequest: ${JSON.stringify(result.extract)}`);
  }
  // What the IdP now has besides the AuthnRequest, decoded: the RelayState and every
  // other parameter of the query, for the Rust test to compare.
  const others = Object.fromEntries(
    Object.entries(query).filter(
      ([name]) => !['SAMLRequest', 'RelayState', 'SigAlg', 'Signature'].includes(name),
    ),
  );
  process.stdout.write('ok\n');
  process.stdout.write(`${JSON.stringify({ relayState: query.RelayState, params: others })}\n`);
}

const [command, arg] = process.argv.slice(2);
if (command === 'sign' && arg === undefined) {
  sign();
} else if (command === 'verify' && arg !== undefined) {
  try {
    await verify(arg);
  } catch (error) {
    process.stderr.write(`invalid: ${error?.message ?? error}\n`);
    process.exit(1);
  }
} else {
  process.stderr.write('usage: node saml.mjs sign | node saml.mjs verify URL\n');
  process.exit(2);
}

// Test-only OpenID Provider for the end-to-end tests of this crate.
//
// It runs the certified `oidc-provider` package (panva) on 127.0.0.1 with one
// confidential client, a minimal login page, and a test-only route that shows
// the last authorization request exactly as the OP received it.
// See README.md next to this file for the environment variables and the HTTP
// sequence a test client performs.
//
// stdout carries exactly one line, `listening http://127.0.0.1:<port>`; every
// other message (including oidc-provider's own notices) goes to stderr.

import http from 'node:http';
import { once } from 'node:events';
import { generateKeyPairSync, randomBytes } from 'node:crypto';

import Provider, { interactionPolicy } from 'oidc-provider';

// Keep stdout for the single "listening" line: oidc-provider prints its
// development notices with console.info, which writes to stdout.
console.log = console.error;
console.info = console.error;

const HOST = '127.0.0.1';

function envList(name, fallback) {
  const raw = process.env[name];
  const value = raw === undefined || raw.trim() === '' ? fallback : raw;
  return value.split(/[\s,]+/).filter(Boolean);
}

const requestedPort = Number.parseInt(process.env.PORT ?? '0', 10);
if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) {
  console.error(`invalid PORT: ${process.env.PORT}`);
  process.exit(2);
}
const REDIRECT_URI = process.env.REDIRECT_URI || 'http://127.0.0.1:8080/callback';
const ACR_VALUES = envList('ACR_VALUES', 'urn:example:loa:1 urn:example:loa:2');
// screen_name is always registered; EXTRA_PARAMS adds more names.
const EXTRA_PARAMS = [...new Set(['screen_name', ...envList('EXTRA_PARAMS', '')])];

// ---------------------------------------------------------------------------
// Listen first, so that PORT=0 gives us the port the issuer must contain.
// ---------------------------------------------------------------------------

let handler = (req, res) => {
  res.statusCode = 503;
  res.end('starting\n');
};
const server = http.createServer((req, res) => handler(req, res));
server.listen(requestedPort, HOST);
await once(server, 'listening');
const { port } = server.address();
const ISSUER = `http://${HOST}:${port}`;

// ---------------------------------------------------------------------------
// Provider configuration.
// ---------------------------------------------------------------------------

// A fresh signing key per run, so no development key from the package is used.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-idp-rs256', alg: 'RS256', use: 'sig' };

// `prompt` values are only accepted when the interaction policy has a
// requestable prompt of that name. `select_account` is added as a prompt with
// no checks of its own: when requested it asks for an interaction, which is
// served by the same login page, and the login result resolves it.
const policy = interactionPolicy.base();
policy.add(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }), 1);

const configuration = {
  clients: [
    {
      client_id: 'broker',
      client_secret: 'broker-secret',
      redirect_uris: [REDIRECT_URI],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      // oidc-provider also accepts client_secret_post from a client registered
      // with client_secret_basic (it treats the two as one family).
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [signingKey] },
  // Unsigned SameSite=Lax cookies: a test client's jar only has to carry
  // _interaction, _interaction_resume and _session (see README.md).
  // (keys only silence the missing-keys warning; nothing is signed.)
  cookies: {
    keys: [randomBytes(32).toString('base64url')],
    long: { httpOnly: true, sameSite: 'lax', signed: false },
    short: { httpOnly: true, sameSite: 'lax', signed: false },
  },
  // Explicit lifetimes (seconds); this also keeps oidc-provider from printing
  // a notice for each default ttl helper it would otherwise call.
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 600,
    Grant: 3600,
    IdToken: 3600,
    Interaction: 3600,
    Session: 3600,
  },
  acrValues: ACR_VALUES,
  extraParams: EXTRA_PARAMS,
  claims: {
    openid: ['sub'],
    email: ['email'],
  },
  scopes: ['openid', 'email'],
  pkce: {
    methods: ['S256'],
    // PKCE is optional: used (and checked) when the client sends
    // code_challenge, never required.
    required: () => false,
  },
  features: {
    devInteractions: { enabled: false },
    // Pushed authorization requests (RFC 9126), optional: a client may push its
    // request to pushed_authorization_request_endpoint and send only
    // client_id and request_uri to the authorization endpoint.
    pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false },
  },
  interactions: {
    policy,
    url: (ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return sub.includes('@') ? { sub, email: sub } : { sub };
      },
    };
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Error', Object.entries(out)
      .map(([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: <span id="${escapeHtml(key)}">${escapeHtml(value)}</span></p>`)
      .join('\n'));
  },
};

const provider = new Provider(ISSUER, configuration);

// ---------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------

function escapeHtml(value) {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function page(title, body) {
  return `<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}

// name -> array of values, in the order received, so duplicates show.
function multiMap(searchParams) {
  const out = Object.create(null);
  for (const [name, value] of searchParams) {
    (out[name] ??= []).push(value);
  }
  return out;
}

async function readBody(req, limit = 64 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// ---------------------------------------------------------------------------
// Test-only record of the last request to the authorization endpoint.
// ---------------------------------------------------------------------------

const AUTHORIZATION_PATH = new URL(provider.urlFor('authorization')).pathname;
const PAR_PATH = new URL(provider.urlFor('pushed_authorization_request')).pathname;
const authorizationErrors = new WeakMap();
let lastAuthorization = null;
let lastPushedAuthorization = null;

// The form body oidc-provider parsed (querystring.parse: a repeated name is an
// array), as name -> array of values; client credentials are left out.
function bodyMultiMap(body) {
  const out = Object.create(null);
  for (const [name, value] of Object.entries(body ?? {})) {
    if (name === 'client_secret' || name === 'client_assertion') continue;
    out[name] = Array.isArray(value) ? value : [value];
  }
  return out;
}

provider.on('authorization.error', (ctx, err) => {
  authorizationErrors.set(ctx, { error: err.error, error_description: err.error_description });
});
provider.on('server_error', (ctx, err) => {
  authorizationErrors.set(ctx, { error: 'server_error', error_description: String(err?.message ?? err) });
  console.error('oidc-provider server_error:', err);
});

function summarizeAuthorization(ctx, record) {
  record.status = ctx.status;
  const location = ctx.response.get('Location') || null;
  record.location = location;

  let target = null;
  if (location) {
    try {
      target = new URL(location, ISSUER);
    } catch {
      target = null;
    }
  }

  const interactionPrefix = `${ISSUER}/interaction/`;
  const knownError = authorizationErrors.get(ctx);
  if (target && target.href.startsWith(interactionPrefix)) {
    record.accepted = true;
    record.outcome = 'interaction';
    record.interaction_uid = target.pathname.split('/')[2] ?? null;
  } else if (knownError || (target && target.searchParams.has('error'))) {
    record.accepted = false;
    record.outcome = 'error';
    record.error = knownError?.error ?? target.searchParams.get('error');
    record.error_description = knownError?.error_description
      ?? target?.searchParams.get('error_description') ?? null;
  } else if (target && target.searchParams.has('code')) {
    // An existing session satisfied the request without any interaction.
    record.accepted = true;
    record.outcome = 'code';
  } else {
    record.accepted = ctx.status < 400;
    record.outcome = 'other';
  }
}

// ---------------------------------------------------------------------------
// Interaction (login) pages.
// ---------------------------------------------------------------------------

const INTERACTION_RE = /^\/interaction\/([^/]+)(\/login)?$/;

async function showLogin(ctx, uid) {
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== uid) {
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = page('Error', '<p id="error">interaction uid does not match the interaction cookie</p>');
    return;
  }
  const { params, prompt } = details;
  const loginHint = params.login_hint ?? '';
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = page('Sign in', `
<p>Client: <span id="client_id">${escapeHtml(params.client_id)}</span>;
prompt: <span id="prompt">${escapeHtml(prompt.name)}</span>
(<span id="reasons">${escapeHtml(prompt.reasons.join(' '))}</span>)</p>
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
  <label>Login <input name="login" value="${escapeHtml(loginHint)}"></label>
  <button type="submit">Sign in</button>
</form>
<h2>Parameters received by the OP</h2>
<pre id="params">${escapeHtml(JSON.stringify(params, null, 2))}</pre>
`);
}

async function finishLogin(ctx, uid) {
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== uid) {
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = page('Error', '<p id="error">interaction uid does not match the interaction cookie</p>');
    return;
  }
  const form = new URLSearchParams(await readBody(ctx.req));
  const accountId = (form.get('login') ?? '').trim();
  if (!accountId) {
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = page('Error', '<p id="error">the login field is required</p>');
    return;
  }

  const { params } = details;
  const requestedAcr = (params.acr_values ?? '').split(' ').filter(Boolean);

  // Consent is granted automatically: every requested scope (the OP only
  // issues those it knows) and the claims requested through the consent prompt.
  const grant = details.grantId && details.session?.accountId === accountId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: params.client_id });
  if (params.scope) grant.addOIDCScope(params.scope);
  const missingClaims = details.prompt.details?.missingOIDCClaims;
  if (Array.isArray(missingClaims) && missingClaims.length) grant.addOIDCClaims(missingClaims);
  const grantId = await grant.save();

  const result = {
    login: {
      accountId,
      ...(requestedAcr.length ? { acr: requestedAcr[0] } : {}),
      amr: ['pwd'],
    },
    consent: { grantId },
    // Resolves prompt=select_account (harmless when it was not requested).
    select_account: {},
  };

  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, {
    mergeWithLastSubmission: false,
  });
  ctx.status = 303;
  ctx.redirect(returnTo);
}

// ---------------------------------------------------------------------------
// Middleware in front of oidc-provider's own routes.
// ---------------------------------------------------------------------------

provider.use(async (ctx, next) => {
  if (ctx.path === '/_test/last-pushed-authorization') {
    ctx.set('Cache-Control', 'no-store');
    if (ctx.method !== 'GET') {
      ctx.status = 405;
      return;
    }
    if (!lastPushedAuthorization) {
      ctx.status = 404;
      ctx.body = { error: 'no pushed authorization request received yet' };
      return;
    }
    ctx.body = lastPushedAuthorization;
    return;
  }

  if (ctx.path === PAR_PATH && ctx.method === 'POST') {
    const record = { method: ctx.method, path: ctx.path, body: null, status: null, request_uri: null, error: null, error_description: null };
    lastPushedAuthorization = record;
    try {
      await next();
    } finally {
      // oidc-provider parses the body itself (ctx.oidc.body) and answers
      // errors as JSON bodies, so both are there once it is done.
      record.body = bodyMultiMap(ctx.oidc?.body);
      record.status = ctx.status;
      record.request_uri = ctx.body?.request_uri ?? null;
      record.error = ctx.body?.error ?? null;
      record.error_description = ctx.body?.error_description ?? null;
    }
    return;
  }

  if (ctx.path === '/_test/last-authorization') {
    ctx.set('Cache-Control', 'no-store');
    if (ctx.method !== 'GET') {
      ctx.status = 405;
      return;
    }
    if (!lastAuthorization) {
      ctx.status = 404;
      ctx.body = { error: 'no authorization request received yet' };
      return;
    }
    ctx.body = lastAuthorization;
    return;
  }

  const interaction = INTERACTION_RE.exec(ctx.path);
  if (interaction) {
    const [, uid, login] = interaction;
    try {
      if (!login && ctx.method === 'GET') {
        await showLogin(ctx, uid);
      } else if (login && ctx.method === 'POST') {
        await finishLogin(ctx, uid);
      } else {
        ctx.status = 405;
      }
    } catch (err) {
      ctx.status = err.statusCode || 500;
      ctx.type = 'html';
      ctx.body = page('Error', `<p id="error">${escapeHtml(err.error ?? 'server_error')}</p>
<p id="error_description">${escapeHtml(err.error_description ?? err.message)}</p>`);
      if (ctx.status >= 500) console.error(err);
    }
    return;
  }

  if (ctx.path === AUTHORIZATION_PATH) {
    const record = {
      method: ctx.method,
      path: ctx.path,
      raw_query: ctx.querystring,
      query: multiMap(new URLSearchParams(ctx.querystring)),
      accepted: false,
      outcome: 'pending',
      status: null,
      location: null,
      interaction_uid: null,
      error: null,
      error_description: null,
    };
    lastAuthorization = record;
    try {
      await next();
    } catch (err) {
      authorizationErrors.set(ctx, { error: err.error ?? 'server_error', error_description: err.error_description ?? err.message });
      ctx.status = err.statusCode || 500;
      summarizeAuthorization(ctx, record);
      throw err;
    }
    summarizeAuthorization(ctx, record);
    return;
  }

  await next();
});

handler = provider.callback();

// ---------------------------------------------------------------------------
// Lifecycle: one line on stdout, exit on stdin close or on a signal.
// ---------------------------------------------------------------------------

let stopping = false;
function shutdown(reason) {
  if (stopping) return;
  stopping = true;
  console.error(`test idp: stopping (${reason})`);
  server.close();
  server.closeAllConnections?.();
  // Do not wait for lingering keep-alive connections.
  setTimeout(() => process.exit(0), 200).unref();
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
if (process.env.IDP_IGNORE_STDIN !== '1') {
  process.stdin.on('end', () => shutdown('stdin closed'));
  process.stdin.on('close', () => shutdown('stdin closed'));
  process.stdin.on('error', () => shutdown('stdin error'));
  process.stdin.resume();
}

process.stdout.write(`listening ${ISSUER}\n`);

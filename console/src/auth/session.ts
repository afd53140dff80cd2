import { reactive } from 'vue';
import { Client, fetchExchange } from '@urql/core';
import { LoginDocument, LogoutDocument, RefreshTokenDocument } from '../gql/graphql';

/** Where the API is: the console is served on the router's origin (the router has no CORS). */
export const GRAPHQL_PATH = '/graphql';

interface Tokens {
  accessToken: string;
  refreshToken: string;
  /** epoch ms */
  expiresAt: number;
}

/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 60_000;

/**
 * The sign-in lives in memory only — never localStorage or a cookie: the API returns the tokens
 * in the body, and a script-readable store would hand them to any injected script. A reload
 * signs the user out. The refresh token is single use (reusing one revokes the sign-in), so
 * one refresh at a time and its successor replaces it.
 */
export const session = reactive<{ signedIn: boolean }>({ signedIn: false });
let tokens: Tokens | null = null;
let refreshing: Promise<string | null> | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<() => void>();

/** Anonymous operations (sign-in, refresh, sign-out): no token, no retry through the session. */
const anonymous = new Client({ url: GRAPHQL_PATH, exchanges: [fetchExchange], requestPolicy: 'network-only', preferGetMethod: false });

export class SignInError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/**
 * When, by this browser's clock, the access token expires: its lifetime (the JWT's exp − iat) from
 * now, so a browser clock off from the server's neither refreshes in a loop nor too late; the
 * payload's expiry instant when the token cannot be read, the API's default lifetime without either.
 */
function expiry(accessToken: string, at: unknown): number {
  try {
    const claims = JSON.parse(atob(accessToken.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) as { iat?: unknown; exp?: unknown };
    if (typeof claims.iat === 'number' && typeof claims.exp === 'number' && claims.exp > claims.iat) return Date.now() + (claims.exp - claims.iat) * 1000;
  } catch {
    /* not a JWT we can read: the payload's instant */
  }
  const t = typeof at === 'string' ? Date.parse(at) : NaN;
  return Number.isFinite(t) ? t : Date.now() + 15 * 60_000;
}

function store(next: Tokens | null): void {
  tokens = next;
  session.signedIn = next !== null;
  clearTimeout(timer);
  if (next) timer = setTimeout(() => void refresh(), Math.max(1_000, next.expiresAt - Date.now() - REFRESH_MARGIN_MS));
  else listeners.forEach((l) => l());
}

export function onSignedOut(listener: () => void): void {
  listeners.add(listener);
}

export async function signIn(tenantCode: string, username: string, password: string): Promise<void> {
  const r = await anonymous.mutation(LoginDocument, { input: { tenantCode, username, password } }).toPromise();
  const p = r.data?.login;
  if (!p?.accessToken || !p.refreshToken) throw new SignInError(p?.userErrors[0]?.code ?? (r.error ? 'NETWORK' : 'UNKNOWN'));
  store({ accessToken: p.accessToken, refreshToken: p.refreshToken, expiresAt: expiry(p.accessToken, p.accessTokenExpiresAt) });
}

async function refresh(): Promise<string | null> {
  const current = tokens;
  if (!current) return null;
  refreshing ??= anonymous
    .mutation(RefreshTokenDocument, { refreshToken: current.refreshToken })
    .toPromise()
    .then((r) => {
      const p = r.data?.refreshToken;
      if (!p?.accessToken || !p.refreshToken) {
        store(null);
        return null;
      }
      store({ accessToken: p.accessToken, refreshToken: p.refreshToken, expiresAt: expiry(p.accessToken, p.accessTokenExpiresAt) });
      return p.accessToken;
    })
    .finally(() => (refreshing = null));
  return refreshing;
}

/** A valid access token, refreshed first when it is about to expire; null when signed out. */
export async function accessToken(): Promise<string | null> {
  if (refreshing) return refreshing;
  if (!tokens) return null;
  if (tokens.expiresAt - Date.now() < REFRESH_MARGIN_MS) return refresh();
  return tokens.accessToken;
}

export async function signOut(): Promise<void> {
  const current = tokens;
  store(null);
  if (current) await anonymous.mutation(LogoutDocument, { refreshToken: current.refreshToken }).toPromise();
}

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from '@tsbit/domain';
import { forbidden, unauthorized } from './problems';

/**
 * API tokens look like `tsbit_<id>_<secret>`. Only the secret's sha256 is ever stored (TokenIssued
 * carries it), so a leaked read model or log reveals no usable token. HTTP Basic is accepted as
 * well, with the token's name as user and the whole token as password, because pyBit's clients
 * and HTML forms authenticate that way.
 */
export interface StoredToken {
  tokenId: string;
  name: string;
  role: Role;
  secretSha256: string;
  revoked: boolean;
}

export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
}

/** What a principal wants to do; each role may do exactly its own kind of write. */
export type Action = 'read' | 'submit' | 'admin' | 'report';

const permissions: Record<Role, ReadonlySet<Action>> = {
  admin: new Set<Action>(['read', 'submit', 'admin']),
  submitter: new Set<Action>(['read', 'submit']),
  builder: new Set<Action>(['read', 'report']),
};

const TOKEN_PATTERN = /^tsbit_([a-z0-9]{8,32})_([A-Za-z0-9_-]{20,128})$/;
const SECRET_BYTES = 24;

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** A new token: give `token` to its owner once, store only the rest. */
export function mintToken(): { tokenId: string; token: string; secretSha256: string } {
  const tokenId = randomBytes(6).toString('hex');
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { tokenId, token: `tsbit_${tokenId}_${secret}`, secretSha256: sha256Hex(secret) };
}

export function parseToken(token: string): { tokenId: string; secret: string } | undefined {
  const match = TOKEN_PATTERN.exec(token);
  return match ? { tokenId: match[1] as string, secret: match[2] as string } : undefined;
}

export type TokenLookup = (tokenId: string) => Promise<StoredToken | undefined>;

/**
 * The principal an Authorization header proves, undefined when there is none, or a 401 problem
 * when credentials are present but wrong, revoked or malformed.
 */
export async function authenticate(authorization: string | undefined, lookup: TokenLookup): Promise<Principal | undefined> {
  if (!authorization) return undefined;
  const token = tokenOf(authorization);
  const parsed = token === undefined ? undefined : parseToken(token);
  if (!parsed) throw unauthorized('Authorization must be "Bearer <token>" or HTTP Basic with the token as password');
  const stored = await lookup(parsed.tokenId);
  const presented = Buffer.from(sha256Hex(parsed.secret), 'hex');
  if (!stored || stored.revoked || !timingSafeEqual(presented, Buffer.from(stored.secretSha256, 'hex'))) {
    throw unauthorized('the token is unknown or revoked');
  }
  return { tokenId: stored.tokenId, name: stored.name, role: stored.role };
}

function tokenOf(authorization: string): string | undefined {
  const [scheme, value] = authorization.split(' ', 2);
  if (!value) return undefined;
  if (scheme?.toLowerCase() === 'bearer') return value.trim();
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}

/**
 * Throws 401 when an action needs credentials and none were given, 403 when the principal's role
 * may not do it. Reading is open unless `readNeedsToken` (a farm setting) says otherwise.
 */
export function authorize(principal: Principal | undefined, action: Action, readNeedsToken = false): Principal | undefined {
  if (action === 'read' && !readNeedsToken) return principal;
  if (!principal) throw unauthorized(`${action === 'read' ? 'reading' : 'this change'} needs a token (Bearer or HTTP Basic)`);
  if (!permissions[principal.role].has(action)) {
    throw forbidden(`a ${principal.role} token may not ${action === 'admin' ? 'administer the farm' : action}`);
  }
  return principal;
}

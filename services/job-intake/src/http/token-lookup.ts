import { accessStreamId, deserializeEvent, type AccessEvent } from '@tsbit/domain';
import type { EventLog } from '@tsbit/event-log';
import type { ReadModels } from '@tsbit/read-models';
import type { StoredToken, TokenLookup } from '@tsbit/service-kit';

/** A token as the access stream's events say, undefined when they never issued it. */
export function tokenFromEvents(events: AccessEvent[], tokenId: string): StoredToken | undefined {
  let token: StoredToken | undefined;
  for (const event of events) {
    if (event.data.tokenId !== tokenId) continue;
    if (event.type === 'TokenIssued') token = { tokenId, name: event.data.name, role: event.data.role, secretSha256: event.data.secretSha256, revoked: false };
    else if (token) token = { ...token, revoked: true };
  }
  return token;
}

/**
 * Tokens from the read model, and from the log when the read model does not know the token yet:
 * a token issued a moment ago works at once, not only once the projection has caught up. (A
 * revocation, by the same lag, takes effect a moment after it is recorded.)
 */
export function tokenLookup(readModels: Pick<ReadModels, 'tokens'>, log: Pick<EventLog, 'readStream'>): TokenLookup {
  return async (tokenId) => {
    const projected = await readModels.tokens.get(tokenId);
    if (projected) return projected;
    const events = (await log.readStream(accessStreamId)).map((recorded) => deserializeEvent(recorded.type, recorded.data) as AccessEvent);
    return tokenFromEvents(events, tokenId);
  };
}

import { assertNever, DomainError, type Decider } from '../decider';
import type { AccessEvent, Role } from '../events';

export interface Token {
  tokenId: string;
  name: string;
  role: Role;
  revoked: boolean;
}
export type AccessState = { tokens: Record<string, Token> };

interface At {
  at: string;
  by: string;
}
export type AccessCommand =
  | (At & { type: 'IssueToken'; tokenId: string; name: string; role: Role; secretSha256: string })
  | (At & { type: 'RevokeToken'; tokenId: string });

const ROLES: Role[] = ['admin', 'submitter', 'builder'];

export const accessDecider: Decider<AccessCommand, AccessEvent, AccessState> = {
  initialState: () => ({ tokens: {} }),
  decide(command, state) {
    switch (command.type) {
      case 'IssueToken':
        if (!ROLES.includes(command.role)) throw new DomainError('validation', `role: must be one of ${ROLES.join(', ')}`, 'role');
        if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(command.name)) throw new DomainError('validation', 'name: letters, digits, ".", "_", "@" and "-", at most 64', 'name');
        if (Object.values(state.tokens).some((token) => token.name === command.name && !token.revoked)) {
          throw new DomainError('conflict', `a live token named "${command.name}" exists already`, 'name');
        }
        return [{ type: 'TokenIssued', data: { tokenId: command.tokenId, name: command.name, role: command.role, secretSha256: command.secretSha256, issuedBy: command.by, issuedAt: command.at } }];
      case 'RevokeToken': {
        const token = state.tokens[command.tokenId];
        if (!token) throw new DomainError('not_found', `no token ${command.tokenId}`);
        if (token.revoked) return [];
        // Tokens are issued by admins only: without a live admin token nobody could issue one again.
        const otherLiveAdmins = Object.values(state.tokens).filter((other) => other.role === 'admin' && !other.revoked && other.tokenId !== token.tokenId);
        if (token.role === 'admin' && otherLiveAdmins.length === 0) {
          throw new DomainError('conflict', `token ${token.tokenId} is the last live admin token: issue another admin token before revoking it`);
        }
        return [{ type: 'TokenRevoked', data: { tokenId: command.tokenId, revokedBy: command.by, revokedAt: command.at } }];
      }
      default:
        return assertNever(command);
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'TokenIssued':
        return { tokens: { ...state.tokens, [event.data.tokenId]: { tokenId: event.data.tokenId, name: event.data.name, role: event.data.role, revoked: false } } };
      case 'TokenRevoked': {
        const token = state.tokens[event.data.tokenId];
        return token ? { tokens: { ...state.tokens, [token.tokenId]: { ...token, revoked: true } } } : state;
      }
      default:
        return assertNever(event);
    }
  },
};

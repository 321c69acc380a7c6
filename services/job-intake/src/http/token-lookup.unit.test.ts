import type { AccessEvent } from '@tsbit/domain';
import { tokenFromEvents } from './token-lookup';

const at = '2026-12-01T10:00:00.000Z';
const issued = (tokenId: string, name: string): AccessEvent => ({ type: 'TokenIssued', data: { tokenId, name, role: 'submitter', secretSha256: 'f'.repeat(64), issuedBy: 'admin', issuedAt: at } });
const revoked = (tokenId: string): AccessEvent => ({ type: 'TokenRevoked', data: { tokenId, revokedBy: 'admin', revokedAt: at } });

describe('a token from the access stream', () => {
  it('given it was issued, is that token with its hash', () => {
    expect(tokenFromEvents([issued('a1', 'ci'), issued('b2', 'other')], 'a1')).toEqual({ tokenId: 'a1', name: 'ci', role: 'submitter', secretSha256: 'f'.repeat(64), revoked: false });
  });

  it('given it was revoked after, is revoked', () => {
    expect(tokenFromEvents([issued('a1', 'ci'), revoked('b2'), revoked('a1')], 'a1')).toMatchObject({ revoked: true });
  });

  it('given it was never issued, is none', () => {
    expect(tokenFromEvents([issued('a1', 'ci'), revoked('zz')], 'zz')).toBeUndefined();
  });
});

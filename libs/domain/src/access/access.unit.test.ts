import type { AccessEvent } from '../events';
import { deciderSpec } from '../testing/given-when-then';
import { accessDecider } from './access';

const at = '2026-12-01T10:00:00.000Z';
const spec = deciderSpec(accessDecider);
const issued = (tokenId: string, name: string, role: 'admin' | 'submitter' | 'builder'): AccessEvent => ({
  type: 'TokenIssued',
  data: { tokenId, name, role, secretSha256: 'f'.repeat(64), issuedBy: 'admin', issuedAt: at },
});
const revoked = (tokenId: string): AccessEvent => ({ type: 'TokenRevoked', data: { tokenId, revokedBy: 'admin', revokedAt: at } });

describe('the access decider', () => {
  it('issues a token with its role, keeping only the hash of its secret', () =>
    spec.given([]).when({ type: 'IssueToken', tokenId: 't1', name: 'ci', role: 'submitter', secretSha256: 'f'.repeat(64), by: 'admin', at }).then([issued('t1', 'ci', 'submitter')]));

  it('refuses an unknown role and a second live token of the same name, naming the field', () => {
    spec.given([]).when({ type: 'IssueToken', tokenId: 't1', name: 'ci', role: 'root' as 'admin', secretSha256: 'f'.repeat(64), by: 'admin', at }).thenThrows({ kind: 'validation', field: 'role' });
    spec.given([issued('t1', 'ci', 'submitter')]).when({ type: 'IssueToken', tokenId: 't2', name: 'ci', role: 'builder', secretSha256: 'f'.repeat(64), by: 'admin', at }).thenThrows({ kind: 'conflict', field: 'name' });
  });

  it('lets a name be used again once its token is revoked', () =>
    spec.given([issued('t1', 'ci', 'submitter'), revoked('t1')]).when({ type: 'IssueToken', tokenId: 't2', name: 'ci', role: 'submitter', secretSha256: 'f'.repeat(64), by: 'admin', at }).then([issued('t2', 'ci', 'submitter')]));

  it('revokes a token once; revoking it again changes nothing', () => {
    spec.given([issued('a', 'root', 'admin'), issued('t1', 'ci', 'submitter')]).when({ type: 'RevokeToken', tokenId: 't1', by: 'admin', at }).then([revoked('t1')]);
    spec.given([issued('a', 'root', 'admin'), issued('t1', 'ci', 'submitter'), revoked('t1')]).when({ type: 'RevokeToken', tokenId: 't1', by: 'admin', at }).then([]);
    spec.given([]).when({ type: 'RevokeToken', tokenId: 'nope', by: 'admin', at }).thenThrows({ kind: 'not_found' });
  });

  it('refuses to revoke the last live admin token, and allows it once there is another', () => {
    spec.given([issued('a', 'root', 'admin'), issued('t1', 'ci', 'submitter')]).when({ type: 'RevokeToken', tokenId: 'a', by: 'root', at }).thenThrows({ kind: 'conflict', message: expect.stringContaining('last live admin token') });
    spec.given([issued('a', 'root', 'admin'), issued('b', 'ops', 'admin')]).when({ type: 'RevokeToken', tokenId: 'a', by: 'admin', at }).then([revoked('a')]);
  });
});

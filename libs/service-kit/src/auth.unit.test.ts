import { authenticate, authorize, mintToken, type StoredToken } from './auth';
import { HttpProblem } from './problems';

describe('API tokens', () => {
  const issued = mintToken();
  const stored: StoredToken = { tokenId: issued.tokenId, name: 'alice', role: 'submitter', secretSha256: issued.secretSha256, revoked: false };
  const lookup = async (tokenId: string) => (tokenId === stored.tokenId ? stored : undefined);

  it('accepts a Bearer token and tells who made the request', async () => {
    await expect(authenticate(`Bearer ${issued.token}`, lookup)).resolves.toEqual({ tokenId: issued.tokenId, name: 'alice', role: 'submitter' });
  });

  it('accepts HTTP Basic with the token as password, as pyBit clients send it', async () => {
    const basic = Buffer.from(`alice:${issued.token}`).toString('base64');
    await expect(authenticate(`Basic ${basic}`, lookup)).resolves.toMatchObject({ name: 'alice' });
  });

  it('refuses a wrong secret, a revoked token and a malformed header with 401', async () => {
    const wrong = issued.token.slice(0, -4) + 'AAAA';
    await expect(authenticate(`Bearer ${wrong}`, lookup)).rejects.toMatchObject({ status: 401 });
    await expect(authenticate(`Bearer ${issued.token}`, async () => ({ ...stored, revoked: true }))).rejects.toMatchObject({ status: 401 });
    await expect(authenticate('Bearer nonsense', lookup)).rejects.toBeInstanceOf(HttpProblem);
  });

  it('lets no header through as anonymous', async () => {
    await expect(authenticate(undefined, lookup)).resolves.toBeUndefined();
  });

  it('lets each role do only its own kind of write', () => {
    const as = (role: StoredToken['role']) => ({ tokenId: 'x', name: role, role });
    expect(authorize(as('submitter'), 'submit')).toBeDefined();
    expect(() => authorize(as('submitter'), 'admin')).toThrow(/may not administer/);
    expect(() => authorize(as('builder'), 'submit')).toThrow(HttpProblem);
    expect(authorize(as('builder'), 'report')).toBeDefined();
    expect(() => authorize(as('admin'), 'report')).toThrow(HttpProblem);
    expect(() => authorize(undefined, 'submit')).toThrow(/needs a token/);
    expect(authorize(undefined, 'read')).toBeUndefined();
    expect(() => authorize(undefined, 'read', true)).toThrow(HttpProblem);
  });
});

import { createHmac } from 'node:crypto';
import { compareDebianVersions, isValidDebianVersion } from '@tsbit/domain';
import { parseHooks } from './config';
import { buildsRef, hookActorName, hooksFor, isPush, parseHookBody, pushJobs, pushOf, pushVersion, repositoryNamesOf, sameSecret, signedHooks, verifySignature } from './forges';

const body = Buffer.from('{"ref":"refs/heads/main"}');
const hmac = (secret: string) => createHmac('sha256', secret).update(body).digest('hex');

describe('forge webhooks', () => {
  it('verifies each forge by its own header', () => {
    expect(verifySignature('github', 'k3y-secret', { 'x-hub-signature-256': `sha256=${hmac('k3y-secret')}` }, body)).toBe(true);
    expect(verifySignature('github', 'k3y-secret', { 'x-hub-signature-256': `sha256=${hmac('other')}` }, body)).toBe(false);
    expect(verifySignature('gitea', 'k3y-secret', { 'x-gitea-signature': hmac('k3y-secret').toUpperCase() }, body)).toBe(true);
    expect(verifySignature('gitea', 'k3y-secret', {}, body)).toBe(false);
    expect(verifySignature('gitlab', 'k3y-secret', { 'x-gitlab-token': 'k3y-secret' }, body)).toBe(true);
    expect(verifySignature('gitlab', 'k3y-secret', { 'x-gitlab-token': 'k3y-secreT' }, body)).toBe(false);
    expect(sameSecret('a', 'a')).toBe(true);
    expect(sameSecret('a', 'ab')).toBe(false);
  });

  it('versions a pushed commit so that later pushes sort newer, even on one day', () => {
    const morning = pushVersion('2.1', 'fffffff000', new Date('2026-11-24T09:05:00Z'));
    const evening = pushVersion('2.1', '0000000fff', new Date('2026-11-24T21:00:00Z'));
    expect(morning).toBe('2.1+git20261124.090500.fffffff');
    expect(isValidDebianVersion(evening)).toBe(true);
    expect(compareDebianVersions(morning, evening)).toBeLessThan(0);
    expect(compareDebianVersions('2.1', morning)).toBeLessThan(0);
  });

  it("reads the three forges' push payloads into one shape", () => {
    const gitlab = pushOf({ ref: 'refs/tags/v1', checkout_sha: 'abcdef1', project: { path_with_namespace: 'g/p', git_http_url: 'https://gl/g/p.git' }, after: 'abcdef1' });
    expect(gitlab).toEqual({ names: ['g/p', 'https://gl/g/p.git'], cloneUrl: 'https://gl/g/p.git', ref: 'v1', commit: 'abcdef1', committedAt: undefined });
    // An annotated tag: `after` is the tag object, checkout_sha the commit it tags.
    expect(pushOf({ ref: 'refs/tags/v2', after: 'f'.repeat(40), checkout_sha: 'abcdef1', project: { path_with_namespace: 'g/p' } }).commit).toBe('abcdef1');
    expect(pushOf({ ref: 'refs/tags/v2', after: '0'.repeat(40), checkout_sha: null, project: { path_with_namespace: 'g/p' } }).commit).toBe('');
    expect(repositoryNamesOf({ zen: 'Design for failure.', repository: { full_name: 'a/b' } })).toEqual(['a/b']);
    expect(() => pushOf({ ref: 'refs/heads/main', after: 'not a commit', repository: { full_name: 'a/b' } })).toThrow(/after: not a commit id/);
    expect(() => pushOf({ zen: 'Design for failure.' })).toThrow(/not a push event/);
    expect(parseHookBody(Buffer.from('payload=%7B%22ref%22%3A%22x%22%7D'), 'application/x-www-form-urlencoded')).toEqual({ ref: 'x' });
    expect(isPush('Tag Push Hook')).toBe(true);
    expect(isPush('pull_request')).toBe(false);
  });

  it('finds every configured entry of the repository by any name the forge gives it', () => {
    const hooks = parseHooks(
      [
        { repository: 'https://forge.example/Acme/Widget.git', secret: '12345678', package: 'widget', suites: ['bookworm'] },
        { repository: 'acme/widget', secret: '12345678', package: 'widget-doc', suites: ['bookworm'] },
      ],
      'test',
    );
    expect(hooksFor(hooks, ['acme/widget', 'https://forge.example/acme/widget']).map((hook) => hook.package)).toEqual(['widget', 'widget-doc']);
    expect(hooksFor(hooks, ['acme/other'])).toEqual([]);
  });

  it('lets an entry accept a delivery only when signed with its own secret', () => {
    const [first, second] = parseHooks(
      [
        { repository: 'a/b', secret: 'first-secret', package: 'one', suites: ['bookworm'] },
        { repository: 'a/b', secret: 'second-secret', package: 'two', suites: ['bookworm'], branches: ['main'] },
      ],
      'test',
    );
    const signed = (secret: string) => ({ 'x-hub-signature-256': `sha256=${hmac(secret)}` });
    expect(signedHooks('github', [first!, second!], signed('second-secret'), body)).toEqual([second]);
    expect(signedHooks('github', [first!, second!], signed('nobody'), body)).toEqual([]);
    expect(signedHooks('github', [], signed('first-secret'), body)).toEqual([]);
    expect([buildsRef(first!, 'dev'), buildsRef(second!, 'dev'), buildsRef(second!, 'main')]).toEqual([true, false, true]);
  });

  it("makes one job per suite of an entry, recorded under the forge's hook and the repository", () => {
    const [hook] = parseHooks([{ repository: 'a/b', secret: '12345678', package: 'p', suites: ['bookworm', 'trixie'], arch: 'all', baseVersion: '3', url: 'ssh://mirror/b.git' }], 'test');
    const push = { names: ['a/b', 'https://forge/a/b.git'], cloneUrl: 'https://forge/a/b.git', ref: 'main', commit: 'abcdef1234', committedAt: undefined };
    const jobs = pushJobs(hook!, push, new Date('2026-01-02T03:04:05Z'));
    expect(jobs.map((job) => [job.suite, job.arch, job.version, job.source.url, job.project])).toEqual([
      ['bookworm', 'all', '3+git20260102.030405.abcdef1', 'ssh://mirror/b.git', 'a/b'],
      ['trixie', 'all', '3+git20260102.030405.abcdef1', 'ssh://mirror/b.git', 'a/b'],
    ]);
    expect(hookActorName('gitlab', push)).toBe('gitlab-hook:a/b');
  });

  it('refuses a hooks configuration naming the entry and the field', () => {
    expect(() => parseHooks([{ repository: 'a/b', secret: 'short', package: 'p', suites: [] }], 'hooks.json')).toThrow(/hooks\.json: not a hooks configuration:\n {2}\/0\/secret: .*\n {2}\/0\/suites/);
    expect(() => parseHooks({}, 'hooks.json')).toThrow(/not a hooks configuration/);
  });
});

import type { BuilderView, JobSummary, JobView } from './api-client';
import { renderArches, renderBuilders, renderChange, renderIssued, renderJob, renderJobPage, renderProblem, renderSubmitted, renderTable, renderTokens } from './format';

const job = (change: Partial<JobSummary> = {}): JobSummary => ({
  id: 7,
  package: 'hello',
  version: '2.10-3',
  suite: 'bookworm',
  dist: 'debian',
  arch: 'amd64',
  format: 'deb',
  env: '',
  source: { method: 'git', url: 'https://example.org/hello.git', ref: 'main' },
  priority: 0,
  project: 'ci',
  dependsOn: [],
  buildArchIndep: true,
  retryOf: null,
  rebuildOf: null,
  failureClass: null,
  status: 'Waiting',
  reason: { code: 'queued', message: '2nd in the queue for bookworm/amd64', jobIds: [] },
  attempt: 1,
  builder: null,
  submittedBy: 'ci',
  submittedAt: '2026-01-02T03:04:05.000Z',
  updatedAt: '2026-01-02T03:04:05.000Z',
  startedAt: null,
  finishedAt: null,
  ...change,
});

const view = (change: Partial<JobView> = {}): JobView => ({
  ...job(),
  history: [{ status: 'Waiting', event: 'JobSubmitted', at: '2026-01-02T03:04:05.000Z', attempt: 1, actor: { kind: 'user', name: 'ci' }, reason: null, position: '1', mode: null }],
  artifacts: [],
  published: null,
  mode: null,
  inputs: null,
  rebuildCheck: null,
  rebuildChecks: [],
  ...change,
});

describe('rendering', () => {
  describe('a table', () => {
    it('given cells of several widths, then columns line up and no line ends in spaces', () => {
      expect(renderTable(['ID', 'NAME', 'NOTE'], [['1', 'hello', ''], ['12', 'hi', 'x']])).toBe(['ID  NAME   NOTE', '1   hello', '12  hi     x'].join('\n'));
    });
  });

  describe('jobs', () => {
    it('given the jobs of a multi-arch submission, then one row each with status and reason', () => {
      const text = renderSubmitted([job({ id: 7 }), job({ id: 8, arch: 'arm64', reason: { code: 'no_builder_online', message: 'no builder online for arm64', jobIds: [] } })]);
      expect(text.split('\n')).toEqual([
        'ID  PACKAGE  VERSION  SUITE/ARCH      STATUS   REASON',
        '7   hello    2.10-3   bookworm/amd64  Waiting  2nd in the queue for bookworm/amd64',
        '8   hello    2.10-3   bookworm/arm64  Waiting  no builder online for arm64',
      ]);
    });

    it('given a page with more behind it, then it says how to get the next one', () => {
      const text = renderJobPage({ items: [job()], nextCursor: 'c7', total: 60 });
      expect(text).toContain('7   hello');
      expect(text.split('\n').at(-1)).toBe('1 of 60 jobs; next page: --cursor c7');
    });

    it('given the last page, then no cursor is offered', () => {
      expect(renderJobPage({ items: [job()], nextCursor: null }).split('\n').at(-1)).toBe('1 jobs');
    });

    it('given an empty page, then it says so', () => {
      expect(renderJobPage({ items: [], nextCursor: null, total: 0 })).toBe('no jobs');
    });
  });

  describe('one job', () => {
    it('given a waiting job, then status, reason with its code, estimated start and history with actors', () => {
      const text = renderJob(view({ estimatedStartAt: '2026-01-02T04:00:00.000Z', dependsOn: [3, 4] }), (path) => `http://farm${path}`);
      expect(text).toContain('status:          Waiting');
      expect(text).toContain('reason:          2nd in the queue for bookworm/amd64 [queued]');
      expect(text).toContain('estimated start: 2026-01-02T04:00:00.000Z');
      expect(text).toContain('depends on:      3, 4');
      expect(text).toContain('source:          git https://example.org/hello.git main');
      expect(text).toMatch(/2026-01-02T03:04:05.000Z {2}Waiting {2}JobSubmitted {2}user:ci/);
      expect(text).toContain('artifacts:\n  none');
    });

    it('given artifacts, then their download URLs are absolute', () => {
      const text = renderJob(
        view({ status: 'Done', reason: null, artifacts: [
          { jobId: 7, attempt: 1, name: 'hello_2.10-3_amd64.deb', sha256: 'ab12', kind: 'binary', size: 2048, builder: 'b1', storedAt: '2026-01-02T03:05:05.000Z', url: '/artifacts/ab12/hello_2.10-3_amd64.deb' },
        ] }),
        (path) => new URL(path, 'http://farm:8080/').toString(),
      );
      expect(text).toContain('reason:          -');
      expect(text).toMatch(/1 {8}binary {2}2\.0 KiB {2}http:\/\/farm:8080\/artifacts\/ab12\/hello_2\.10-3_amd64\.deb/);
    });
  });

  describe('a change seen while following', () => {
    it('given a reason, then it is on the line', () => {
      expect(renderChange(job())).toBe('job 7 bookworm/amd64: Waiting (2nd in the queue for bookworm/amd64)');
    });

    it('given none, then only the status', () => {
      expect(renderChange(job({ status: 'Done', reason: null }))).toBe('job 7 bookworm/amd64: Done');
    });
  });

  describe('builders and tokens', () => {
    const builder = (change: Partial<BuilderView> = {}): BuilderView => ({
      name: 'b1',
      arches: ['amd64', 'i386'],
      suites: [],
      formats: ['deb'],
      slots: 2,
      archSupport: [],
      unavailable: [],
      state: 'building',
      runningJobs: [7],
      registeredAt: '2026-01-02T03:00:00.000Z',
      lastSeenAt: '2026-01-02T03:04:05.000Z',
      ...change,
    });

    it('given builders, then their state, capabilities and running jobs', () => {
      const text = renderBuilders([builder()]);
      expect(text.split('\n')[1]).toBe('b1    building  amd64, i386  -       deb      2      7        2026-01-02T03:04:05.000Z');
      expect(text.split('\n')).toHaveLength(2);
    });

    it('given how a builder serves each arch, then the arches with any mode but native', () => {
      const archSupport: BuilderView['archSupport'] = [
        { suite: 'bookworm', arch: 'amd64', mode: 'native', chroot: 'bookworm-amd64.tar' },
        { suite: 'bookworm', arch: 'i386', mode: 'native', chroot: 'bookworm-i386.tar' },
        { suite: 'bookworm', arch: 'arm64', mode: 'cross', chroot: 'bookworm-amd64-cross-arm64.tar' },
      ];
      const text = renderBuilders([builder({ arches: ['amd64', 'i386', 'arm64'], suites: ['bookworm'], archSupport })]);
      expect(text.split('\n')[1]).toBe('b1    building  amd64, i386, arm64 (cross)  bookworm  deb      2      7        2026-01-02T03:04:05.000Z');
    });

    it('given an arch served one way in one suite and another way in the other, then each suite with its mode', () => {
      const archSupport: BuilderView['archSupport'] = [
        { suite: 'bookworm', arch: 'arm64', mode: 'cross', chroot: 'bookworm-amd64-cross-arm64.tar' },
        { suite: 'trixie', arch: 'arm64', mode: 'emulated', chroot: 'trixie-arm64.tar' },
      ];
      expect(renderArches({ arches: ['arm64'], archSupport })).toBe('arm64 (bookworm cross, trixie emulated)');
    });

    it('given arches a builder cannot build, then each after the table with its reason and the command that fixes it', () => {
      const unavailable: BuilderView['unavailable'] = [{ suite: 'bookworm', arch: 'arm64', reason: 'no chroot bookworm-amd64-cross-arm64.tar', fix: 'services/builder/scripts/make-chroot.sh bookworm amd64 --cross arm64' }];
      const text = renderBuilders([builder({ unavailable }), builder({ name: 'b2' })]);
      expect(text.split('\n').slice(3)).toEqual([
        '',
        'cannot build:',
        '  b1 bookworm/arm64: no chroot bookworm-amd64-cross-arm64.tar',
        '    fix: services/builder/scripts/make-chroot.sh bookworm amd64 --cross arm64',
      ]);
    });

    it('given no builders, then it says so', () => {
      expect(renderBuilders([])).toBe('no builders');
    });

    it('given tokens, then without secrets, revoked as yes or no', () => {
      const text = renderTokens([{ tokenId: 't1', name: 'ci', role: 'submitter', revoked: true, issuedBy: 'admin', issuedAt: '2026-01-02T03:04:05.000Z' }]);
      expect(text.split('\n')[1]).toBe('t1  ci    submitter  yes      admin      2026-01-02T03:04:05.000Z');
    });

    it('given an issued token, then the secret is the last line alone', () => {
      expect(renderIssued({ tokenId: 't1', name: 'ci', role: 'submitter', token: 'tsbit_secret' }).split('\n').at(-1)).toBe('tsbit_secret');
    });
  });

  describe('a problem', () => {
    it('given a field and a code, then both follow the detail', () => {
      expect(renderProblem({ status: 422, detail: 'suite "sid" is not in the catalogue', field: 'suite', code: 'not_in_catalogue' })).toBe(
        'tsbit: 422 suite "sid" is not in the catalogue (field suite, code not_in_catalogue)',
      );
    });

    it('given neither, then status and detail', () => {
      expect(renderProblem({ status: 404, detail: 'no job 9' })).toBe('tsbit: 404 no job 9');
    });
  });
});

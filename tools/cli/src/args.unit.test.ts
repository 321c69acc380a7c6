import { APT_SOURCE_URL, parseInvocation, UsageError, USAGE } from './args';

/** Given a command line (split on spaces, as a shell would here), when it is parsed. */
const parsed = (line: string) => parseInvocation(line.split(' ').filter((word) => word !== ''));
const refused = (line: string): UsageError => {
  try {
    parsed(line);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`"${line}" was accepted`);
};

describe('parsing the command line', () => {
  describe('submit', () => {
    it('given every option, then builds the POST /job body the API takes', () => {
      const invocation = parsed(
        'submit --package hello --version 2.10-3 --suite bookworm --arch amd64,arm64 --format rpm --git https://example.org/hello.git --ref main --depends-on 3,4 --project ci --priority=-2 --wait',
      );
      expect(invocation.command).toEqual({
        type: 'submit',
        wait: true,
        body: {
          package: 'hello',
          version: '2.10-3',
          suite: 'bookworm',
          arch: 'amd64,arm64',
          format: 'rpm',
          source: { method: 'git', url: 'https://example.org/hello.git', ref: 'main' },
          dependsOn: [3, 4],
          project: 'ci',
          priority: -2,
        },
      });
    });

    it('given only what is required, then arch is "any", format "deb", and nothing else is sent', () => {
      expect(parsed('submit --package hello --version 1.0 --suite bookworm --dsc https://example.org/hello_1.0.dsc').command).toEqual({
        type: 'submit',
        wait: false,
        body: { package: 'hello', version: '1.0', suite: 'bookworm', arch: 'any', format: 'deb', source: { method: 'dsc', url: 'https://example.org/hello_1.0.dsc' } },
      });
    });

    it('given --svn with --revision, then the revision is the ref', () => {
      const { command } = parsed('submit --package hello --version 1.0 --suite bookworm --svn https://svn.example.org/hello/trunk --revision 42');
      expect(command).toMatchObject({ body: { source: { method: 'svn', url: 'https://svn.example.org/hello/trunk', ref: '42' } } });
    });

    it("given --apt, then the source names no archive: the builders find it in their own APT sources", () => {
      const { command } = parsed('submit --package hello --version 1.0 --suite bookworm --apt');
      expect(command).toMatchObject({ body: { source: { method: 'apt', url: APT_SOURCE_URL } } });
    });

    it.each([
      ['submit --package hello --suite bookworm --git /repo', 'submit: missing --version'],
      ['submit --git /repo', 'submit: missing --package, --version, --suite'],
      ['submit --package hello --version 1.0 --suite bookworm', 'submit: missing the source'],
      ['submit --package hello --version 1.0 --suite bookworm --git /repo --svn /svn', 'one source only, not --git and --svn'],
      ['submit --package hello --version 1.0 --suite bookworm --svn /svn --ref main', '--ref goes with --git or --apt'],
      ['submit --package hello --version 1.0 --suite bookworm --git /repo --revision 4', '--revision goes with --svn'],
      ['submit --package hello --version 1.0 --suite bookworm --git /repo --depends-on 3,x', '--depends-on must be a positive integer, not "x"'],
      ['submit --package hello --version 1.0 --suite bookworm --git /repo --priority high', '--priority must be an integer, not "high"'],
    ])('given "%s", then it is refused: %s', (line, message) => {
      const error = refused(line);
      expect(error.message).toContain(message);
      expect(error.usage).toMatch(/^usage: tsbit submit --package P/);
    });
  });

  describe('jobs', () => {
    it('given filters, then they become the GET /job query, several statuses repeated', () => {
      expect(parsed('jobs --status Waiting,Blocked --package hello --suite bookworm --arch arm64 --limit 20 --cursor abc').command).toEqual({
        type: 'jobs',
        query: { status: ['Waiting', 'Blocked'], package: 'hello', suite: 'bookworm', arch: 'arm64', limit: 20, cursor: 'abc' },
      });
    });

    it('given no filter, then the query is empty', () => {
      expect(parsed('jobs').command).toEqual({ type: 'jobs', query: {} });
    });

    it("given another command's option, then it is refused by name", () => {
      expect(refused('jobs --wait').message).toBe('jobs takes no option --wait');
    });
  });

  describe('commands on one job, package, builder or token', () => {
    it.each([
      ['job 12', { type: 'job', jobId: 12 }],
      ['watch 12', { type: 'watch', jobId: 12 }],
      ['cancel 12', { type: 'cancel', jobId: 12 }],
      ['retry 12', { type: 'retry', jobId: 12 }],
      ['rebuild-check 12', { type: 'rebuild-check', jobId: 12 }],
      ['log 12', { type: 'log', jobId: 12, follow: false }],
      ['log 12 --follow', { type: 'log', jobId: 12, follow: true }],
      ['log -f 12', { type: 'log', jobId: 12, follow: true }],
      ['cancel-package hello', { type: 'cancel-package', package: 'hello' }],
      ['builders', { type: 'builders' }],
      ['pause b1', { type: 'pause', builder: 'b1' }],
      ['retire b1', { type: 'retire', builder: 'b1' }],
      ['resume b1', { type: 'resume', builder: 'b1' }],
      ['token issue ci submitter', { type: 'token-issue', name: 'ci', role: 'submitter' }],
      ['token list', { type: 'token-list' }],
      ['token revoke t1', { type: 'token-revoke', tokenId: 't1' }],
    ])('given "%s", then it is that command', (line, command) => {
      expect(parsed(line).command).toEqual(command);
    });

    it.each([
      ['job', 'job: missing ID', /^usage: tsbit job ID/],
      ['job 0', 'ID must be a positive integer, not "0"', /^usage: tsbit job ID/],
      ['job 1 2', 'job: unexpected argument "2"', /^usage: tsbit job ID/],
      ['token issue ci', 'token issue: missing ROLE', /^usage: tsbit token issue NAME ROLE/],
      ['token', 'missing token command: issue, list or revoke', /^usage: tsbit \[--json\]/],
      ['token burn', 'unknown token command "burn"', /^usage: tsbit \[--json\]/],
      ['frobnicate', 'unknown command "frobnicate"', /^usage: tsbit \[--json\]/],
      ['', 'missing command', /^usage: tsbit \[--json\]/],
      ['jobs --bogus', "Unknown option '--bogus'", /^usage: tsbit \[--json\]/],
    ])('given "%s", then it is refused: %s', (line, message, usage) => {
      const error = refused(line);
      expect(error.message).toContain(message);
      expect(error.usage).toMatch(usage);
    });
  });

  describe('global options', () => {
    it('given --json, --api and --token anywhere on the line, then they apply to the command', () => {
      expect(parsed('--json job 3 --api http://farm:8080 --token tsbit_x')).toEqual({ json: true, apiUrl: 'http://farm:8080', token: 'tsbit_x', command: { type: 'job', jobId: 3 } });
    });

    it('given none, then output is tables and the API and token are left to the environment', () => {
      expect(parsed('builders')).toEqual({ json: false, command: { type: 'builders' } });
    });

    it.each(['help', '--help', '-h', 'jobs --help'])('given "%s", then it asks for help', (line) => {
      expect(parsed(line).command).toEqual({ type: 'help' });
    });

    it('the usage names every command', () => {
      for (const word of ['submit', 'jobs', 'job', 'watch', 'cancel', 'retry', 'rebuild-check', 'cancel-package', 'log', 'builders', 'pause', 'resume', 'retire', 'token issue', 'token list', 'token revoke']) {
        expect(USAGE).toContain(`tsbit ${word} `.trimEnd());
      }
    });
  });
});

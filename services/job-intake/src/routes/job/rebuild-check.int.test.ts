import { jobDecider, jobStreamId, type Artifact, type BuildInputs, type JobCommand } from '@tsbit/domain';
import { handleCommand } from '@tsbit/event-log';
import { buildInputs } from '@tsbit/read-models/testing';
import { jobBody, startHarness, type Harness } from '../../testing/harness';

describe('POST /job/:id/rebuild-check', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const submit = async (change: Record<string, unknown> = {}) => {
    const response = await h.call({ method: 'POST', url: '/job', headers: h.as('submitter'), payload: jobBody(change) });
    expect(response.statusCode).toBe(201);
    return response.json() as { id: number; package: string };
  };
  const deb = (name: string, sha: string): Artifact => ({ name, sha256: sha.repeat(64), size: '2048', kind: 'deb' });
  const log = (sha: string): Artifact => ({ name: 'build.log', sha256: sha.repeat(64), size: '10', kind: 'log' });
  /** Builds a job on `builder` as the scheduler and the artifact service would record it. */
  const build = async (id: number, builder: string, artifacts: Artifact[], inputs?: BuildInputs) => {
    const at = new Date().toISOString();
    await h.log.append(
      `artifacts-${id}`,
      artifacts.map((artifact) => ({ type: 'ArtifactStored', data: { jobId: id, attempt: 1, ...artifact, builder, storedAt: at } })),
      'no_stream',
    );
    const commands: JobCommand[] = [
      { type: 'QueueJob', at, routingKey: 'deb.bookworm.amd64' },
      { type: 'StartBuild', at, attempt: 1, builder, mode: 'native' },
      { type: 'SucceedBuild', at, attempt: 1, builder, artifacts, ...(inputs ? { inputs } : {}) },
    ];
    for (const command of commands) await handleCommand({ log: h.log, stream: jobStreamId(id), decider: jobDecider, command });
    await h.project();
  };
  const check = (id: number, role: 'submitter' | 'admin' = 'submitter') => h.call({ method: 'POST', url: `/job/${id}/rebuild-check`, headers: h.as(role) });
  const get = async (id: number) => (await h.call({ method: 'GET', url: `/job/${id}` })).json();

  it('creates a new job with the same package and the source pinned to the recorded commit, to be built on another builder', async () => {
    const original = await submit({ package: 'pinned', source: { method: 'git', url: 'https://git.example.org/pinned.git', ref: 'main' } });
    const inputs = buildInputs(original.id);
    await build(original.id, 'b1', [deb('pinned_2.10-3_amd64.deb', '1'), log('2')], inputs);

    const response = await check(original.id);
    expect(response.statusCode).toBe(201);
    const created = response.json();
    expect(response.headers.location).toBe(`/job/${created.id}`);
    expect(created).toMatchObject({
      package: 'pinned',
      version: '2.10-3',
      suite: 'bookworm',
      dist: 'debian',
      arch: 'amd64',
      format: 'deb',
      buildArchIndep: true,
      status: 'Waiting',
      rebuildOf: original.id,
      retryOf: null,
      source: { method: 'git', url: 'https://git.example.org/pinned.git', ref: inputs.sourceRevision },
    });
    const [stored] = await h.log.readStream(jobStreamId(created.id));
    expect(stored?.data).toMatchObject({ rebuildOf: original.id, avoidBuilder: 'b1' });

    expect(await get(created.id)).toMatchObject({ rebuildOf: original.id, rebuildCheck: { of: original.id, status: 'pending', files: [], inputsDiffer: [] }, rebuildChecks: [] });
    expect((await get(original.id)).rebuildChecks).toEqual([{ id: created.id, status: 'pending' }]);
  });

  it('says identical when the rebuild made the same binaries, and different (naming the file and the inputs) when not', async () => {
    const original = await submit({ package: 'compared' });
    const inputs = buildInputs(original.id);
    await build(original.id, 'b1', [deb('compared_2.10-3_amd64.deb', '1'), deb('compared-doc_2.10-3_all.deb', '2'), log('3')], inputs);
    const same = (await check(original.id)).json();
    const other = (await check(original.id)).json();
    // The logs differ every time; only the binary packages count.
    await build(same.id, 'b2', [deb('compared_2.10-3_amd64.deb', '1'), deb('compared-doc_2.10-3_all.deb', '2'), log('4')], inputs);
    await build(other.id, 'b2', [deb('compared_2.10-3_amd64.deb', '9'), deb('compared-doc_2.10-3_all.deb', '2'), log('5')], { ...inputs, chrootSha256: 'e'.repeat(64) });

    expect((await get(same.id)).rebuildCheck).toEqual({
      of: original.id,
      status: 'identical',
      inputsDiffer: [],
      files: [
        { name: 'compared-doc_2.10-3_all.deb', originalSha256: '2'.repeat(64), rebuiltSha256: '2'.repeat(64), identical: true },
        { name: 'compared_2.10-3_amd64.deb', originalSha256: '1'.repeat(64), rebuiltSha256: '1'.repeat(64), identical: true },
      ],
    });
    const different = (await get(other.id)).rebuildCheck;
    expect(different).toMatchObject({ status: 'different', inputsDiffer: ['chrootSha256'] });
    expect(different.files).toContainEqual({ name: 'compared_2.10-3_amd64.deb', originalSha256: '1'.repeat(64), rebuiltSha256: '9'.repeat(64), identical: false });
    expect((await get(original.id)).rebuildChecks).toEqual([
      { id: same.id, status: 'identical' },
      { id: other.id, status: 'different' },
    ]);
  });

  it('neither supersedes the jobs of its package nor is superseded by a newer submission', async () => {
    const original = await submit({ package: 'kept' });
    await build(original.id, 'b1', [deb('kept_2.10-3_amd64.deb', '1')], buildInputs(original.id));
    const waiting = await submit({ package: 'kept' });
    const created = (await check(original.id)).json();
    expect((await get(waiting.id)).status).toBe('Waiting');
    const newer = await submit({ package: 'kept', version: '2.10-4' });
    expect((await get(created.id)).status).toBe('Waiting');
    expect((await get(waiting.id)).status).toBe('Cancelled');
    expect((await get(newer.id)).status).toBe('Waiting');
  });

  it('keeps a .dsc source as recorded', async () => {
    const source = { method: 'dsc', url: 'https://deb.debian.org/debian/pool/main/h/hello/hello_2.10-3.dsc', ref: '' };
    const original = await submit({ package: 'from-dsc', source });
    await build(original.id, 'b1', [deb('from-dsc_2.10-3_amd64.deb', '1')], buildInputs(original.id, { sourceRevision: '', sourceFiles: [{ name: 'hello_2.10-3.dsc', sha256: 'f'.repeat(64), size: '1000' }] }));
    expect((await check(original.id)).json()).toMatchObject({ source, rebuildOf: original.id });
  });

  it('answers 404 for an unknown job, and 409 naming why for a job not Done or without recorded inputs', async () => {
    const unknown = await check(999_999);
    expect([unknown.statusCode, unknown.headers['content-type']]).toEqual([404, 'application/problem+json; charset=utf-8']);
    expect(unknown.json().detail).toBe('no job 999999');

    const waiting = await submit({ package: 'not-done' });
    const notDone = await check(waiting.id);
    expect(notDone.statusCode).toBe(409);
    expect(notDone.json()).toMatchObject({ code: 'not_done', detail: `job ${waiting.id} is Waiting: only a Done job can be built again to check it` });

    const unrecorded = await submit({ package: 'no-inputs' });
    await build(unrecorded.id, 'b1', [deb('no-inputs_2.10-3_amd64.deb', '1')]);
    const noInputs = await check(unrecorded.id);
    expect(noInputs.statusCode).toBe(409);
    expect(noInputs.json()).toMatchObject({ code: 'no_recorded_inputs' });
    expect(noInputs.json().detail).toMatch(/has no recorded inputs/);
  });

  it('needs a token that may submit', async () => {
    const original = await submit({ package: 'unauthorised' });
    expect((await h.call({ method: 'POST', url: `/job/${original.id}/rebuild-check` })).statusCode).toBe(401);
    expect((await h.call({ method: 'POST', url: `/job/${original.id}/rebuild-check`, headers: h.as('builder') })).statusCode).toBe(403);
  });
});

import { builderDecider, builderStreamId, jobDecider, jobStreamId } from '@tsbit/domain';
import { handleCommand } from '@tsbit/event-log';
import { jobBody, startHarness, type Harness } from '../../testing/harness';

describe('/buildd', () => {
  let h: Harness;
  const at = () => new Date().toISOString();
  const archSupport = [
    { suite: 'bookworm', arch: 'amd64', mode: 'native' as const, chroot: 'bookworm-amd64.tar' },
    { suite: 'bookworm', arch: 'arm64', mode: 'cross' as const, chroot: 'bookworm-amd64-cross-arm64.tar' },
  ];
  const unavailable = [{ suite: 'bookworm', arch: 'i386', reason: 'no chroot bookworm-i386.tar', fix: 'sudo services/builder/scripts/make-chroot.sh bookworm i386' }];
  const register = (name: string) =>
    handleCommand({
      log: h.log,
      stream: builderStreamId(name),
      decider: builderDecider,
      command: { type: 'RegisterBuilder', name, capabilities: { arches: ['amd64', 'arm64'], suites: ['bookworm'], formats: ['deb'], slots: 2, archSupport, unavailable }, at: at() },
    });

  beforeAll(async () => {
    h = await startHarness();
    await register('b9');
    await register('b8');
    await handleCommand({ log: h.log, stream: builderStreamId('b8'), decider: builderDecider, command: { type: 'MarkBuilderLost', name: 'b8', at: at() } });
    await h.project();
  });
  afterAll(() => h.close());

  const get = async (url: string) => (await h.call({ method: 'GET', url })).json();

  it('lists builders, pages and counts them, shows one; 404 for none', async () => {
    expect((await get('/buildd')).map((builder: { name: string; state: string }) => [builder.name, builder.state])).toEqual([
      ['b8', 'lost'],
      ['b9', 'idle'],
    ]);
    expect(await get('/buildd/')).toHaveLength(2);
    expect(await get('/buildd/count')).toEqual({ total: 2, pages: 1, pageSize: 50 });
    expect(await get('/buildd/page/1')).toHaveLength(2);
    expect(await get('/buildd/b9')).toMatchObject({ name: 'b9', arches: ['amd64', 'arm64'], slots: 2, runningJobs: [] });
    expect((await h.call({ method: 'GET', url: '/buildd/nobody' })).statusCode).toBe(404);
    expect((await h.call({ method: 'GET', url: '/buildd/nobody/status' })).statusCode).toBe(404);
  });

  it('shows how each builder serves each arch, and what it cannot build with the reason and the fix', async () => {
    expect((await get('/buildd')).find((builder: { name: string }) => builder.name === 'b9')).toMatchObject({ archSupport, unavailable });
    expect(await get('/buildd/b9')).toMatchObject({ archSupport, unavailable });
    const documented = (await get('/openapi.json')).paths['/buildd/{name}'].get.responses['200'].content['application/json'].schema.properties;
    expect(documented.archSupport.items.properties.mode.enum).toEqual(['native', 'cross', 'emulated']);
    expect(Object.keys(documented.unavailable.items.properties)).toEqual(['suite', 'arch', 'reason', 'fix']);
  });

  it("answers pyBit's Active / Not Active", async () => {
    expect(await get('/buildd/b9/status')).toEqual({ name: 'b9', status: 'Active', state: 'idle' });
    expect(await get('/buildd/b8/status')).toEqual({ name: 'b8', status: 'Not Active', state: 'lost' });
  });

  it('lists the jobs a builder built or builds', async () => {
    const job = (await h.call({ method: 'POST', url: '/job', headers: h.as('submitter'), payload: jobBody({ package: 'on-b9' }) })).json();
    for (const command of [{ type: 'QueueJob', at: at(), routingKey: 'deb.bookworm.amd64' }, { type: 'StartBuild', at: at(), attempt: 1, builder: 'b9' }] as const) {
      await handleCommand({ log: h.log, stream: jobStreamId(job.id), decider: jobDecider, command });
    }
    await h.project();
    expect((await get('/buildd/b9/jobs')).items.map((item: { id: number }) => item.id)).toEqual([job.id]);
    expect((await get('/buildd/b9/jobs?status=Done')).items).toEqual([]);
    expect(await get('/buildd/b9')).toMatchObject({ state: 'building', runningJobs: [job.id] });
    expect(await get('/buildd/b9/jobs?cursor=!!')).toMatchObject({ status: 400, field: 'cursor' });
    expect(await get('/buildd/b9/jobs?package=x')).toMatchObject({ status: 400, field: 'package' });
    expect((await h.call({ method: 'GET', url: '/buildd/nobody/jobs' })).statusCode).toBe(404);
  });

  it('drains and releases a builder (admin), recording who did it', async () => {
    expect((await h.call({ method: 'POST', url: '/buildd/b9/pause' })).statusCode).toBe(401);
    expect((await h.call({ method: 'POST', url: '/buildd/b9/pause', headers: h.as('submitter') })).statusCode).toBe(403);
    expect((await h.call({ method: 'POST', url: '/buildd/b9/pause', headers: h.as('admin') })).json()).toEqual({ name: 'b9', paused: true });
    expect(await get('/buildd/b9/status')).toEqual({ name: 'b9', status: 'Not Active', state: 'paused' });
    const [paused] = (await h.log.readStream(builderStreamId('b9'))).filter((event) => event.type === 'BuilderPaused');
    expect(paused?.data).toMatchObject({ pausedBy: 'admin-user' });
    expect((await h.call({ method: 'POST', url: '/buildd/b9/resume', headers: h.as('admin') })).json()).toEqual({ name: 'b9', paused: false });
    expect(await get('/buildd/b9')).toMatchObject({ state: 'building' });
    expect((await h.call({ method: 'POST', url: '/buildd/nobody/pause', headers: h.as('admin') })).statusCode).toBe(404);
  });

  it('removes a lost or drained builder (admin), refuses an online one, and lets a removed one register anew', async () => {
    await register('gone');
    await handleCommand({ log: h.log, stream: builderStreamId('gone'), decider: builderDecider, command: { type: 'MarkBuilderLost', name: 'gone', at: at() } });
    await register('drained');
    await register('busy');
    await h.project();
    expect((await h.call({ method: 'POST', url: '/buildd/drained/pause', headers: h.as('admin') })).statusCode).toBe(200);

    expect((await h.call({ method: 'DELETE', url: '/buildd/gone', headers: h.as('submitter') })).statusCode).toBe(403);
    expect((await h.call({ method: 'DELETE', url: '/buildd/gone' })).statusCode).toBe(401);
    expect((await h.call({ method: 'DELETE', url: '/buildd/gone', headers: h.as('admin') })).json()).toEqual({ deleted: 'gone' });
    expect((await h.call({ method: 'POST', url: '/buildd/drained/delete', headers: h.as('admin') })).json()).toEqual({ deleted: 'drained' });
    const online = await h.call({ method: 'GET', url: '/buildd/busy/delete', headers: h.as('admin') });
    expect(online.json()).toMatchObject({ status: 409, detail: expect.stringContaining('is online') });
    expect((await h.call({ method: 'DELETE', url: '/buildd/gone', headers: h.as('admin') })).statusCode).toBe(404);

    expect((await h.call({ method: 'GET', url: '/buildd/gone' })).statusCode).toBe(404);
    const listed = (await h.call({ method: 'GET', url: '/buildd' })).json() as { name: string }[];
    expect(listed.map((builder) => builder.name)).not.toEqual(expect.arrayContaining(['gone']));
    expect(listed.map((builder) => builder.name)).toEqual(expect.arrayContaining(['busy']));
    const history = (await h.log.readStream(builderStreamId('gone'))).map((event) => [event.type, event.metadata?.causedBy]);
    expect(history.at(-1)).toEqual(['BuilderRetired', { kind: 'user', name: 'admin-user' }]);

    await register('gone');
    await h.project();
    expect((await h.call({ method: 'GET', url: '/buildd/gone' })).json()).toMatchObject({ name: 'gone', state: 'idle' });
  });
});

describe('the /buildd list: filter, sort, page with a cursor', () => {
  let h: Harness;
  const at = () => new Date().toISOString();
  const register = (name: string, arches: string[], slots: number) =>
    handleCommand({
      log: h.log,
      stream: builderStreamId(name),
      decider: builderDecider,
      command: { type: 'RegisterBuilder', name, capabilities: { arches, suites: ['bookworm'], formats: ['deb'], slots, archSupport: [], unavailable: [] }, at: at() },
    });

  beforeAll(async () => {
    h = await startHarness();
    await register('arm-1', ['arm64'], 4);
    await register('x86-2', ['amd64', 'i386'], 2);
    await register('x86-1', ['amd64'], 8);
    await register('x86-3', ['amd64'], 2);
    await handleCommand({ log: h.log, stream: builderStreamId('x86-3'), decider: builderDecider, command: { type: 'MarkBuilderLost', name: 'x86-3', at: at() } });
    await h.project();
  });
  afterAll(() => h.close());

  const get = (url: string) => h.call({ method: 'GET', url });
  const names = (builders: { name: string }[]) => builders.map((builder) => builder.name);
  /** The builder names of each page, following `Link: rel="next"` to the last page. */
  const pagesOf = async (url: string): Promise<string[][]> => {
    const pages: string[][] = [];
    for (let next: string | undefined = url; next !== undefined; ) {
      const response = await get(next);
      pages.push(names(response.json()));
      next = /^<([^>]+)>; rel="next"$/.exec(String(response.headers.link ?? ''))?.[1];
    }
    return pages;
  };

  it('filters by an architecture a builder has, by state and slots, and counts them in X-Total-Count', async () => {
    const amd64 = await get('/buildd?arches=amd64');
    expect([names(amd64.json()), amd64.headers['x-total-count']]).toEqual([['x86-1', 'x86-2', 'x86-3'], '3']);
    expect(names((await get('/buildd?arches=amd64&state=idle&slots=2')).json())).toEqual(['x86-2']);
    expect(names((await get('/buildd/?state=lost')).json())).toEqual(['x86-3']);
  });

  it('sorts by a field, ties by name, and pages through every builder once', async () => {
    expect(names((await get('/buildd?sort=-slots')).json())).toEqual(['x86-1', 'arm-1', 'x86-3', 'x86-2']);
    expect(await pagesOf('/buildd?limit=3')).toEqual([['arm-1', 'x86-1', 'x86-2'], ['x86-3']]);
    expect(await pagesOf('/buildd?limit=1&sort=slots&arches=amd64')).toEqual([['x86-2'], ['x86-3'], ['x86-1']]);
  });

  it('refuses an unknown sort or state, a bad cursor, and a list field as a sort: 400 naming the parameter', async () => {
    expect((await get('/buildd?sort=speed')).json()).toMatchObject({ status: 400, field: 'sort' });
    expect((await get('/buildd?sort=arches')).json()).toMatchObject({ status: 400, field: 'sort' });
    expect((await get('/buildd?state=flying')).json()).toMatchObject({ status: 400, field: 'state' });
    expect((await get('/buildd?cursor=!!')).json()).toMatchObject({ status: 400, field: 'cursor' });
  });

  it('offers no PUT /buildd/:name: builders register themselves over RabbitMQ', async () => {
    expect((await h.call({ method: 'PUT', url: '/buildd/x86-1', headers: h.as('admin'), payload: { slots: 99 } })).statusCode).toBe(404);
  });
});

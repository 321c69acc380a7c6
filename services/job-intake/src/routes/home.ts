import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../app';

const escape = (value: unknown): string =>
  String(value ?? '').replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string);

/** A plain page: the latest jobs (refreshing itself) and pyBit's submission form. */
export function homeRoutes(context: RouteContext) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/', { schema: { hide: true } }, async (_request, reply) => {
      const { items } = await context.readModels.jobs.list({ limit: 50 });
      const rows = items
        .map((job) => `<tr><td><a href="/job/${job.id}">${job.id}</a></td><td>${escape(job.package)}</td><td>${escape(job.version)}</td><td>${escape(job.suite)}/${escape(job.arch)}</td><td>${escape(job.status)}</td><td>${escape(job.reason?.message)}</td></tr>`)
        .join('\n');
      return reply.type('text/html; charset=utf-8').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>tsbit</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:.2em .8em;border-bottom:1px solid #ddd;text-align:left}</style></head>
<body><h1>tsbit</h1><p><a href="/docs">API documentation</a> · <a href="/job">jobs as JSON</a> · <a href="/buildd">builders</a></p>
<h2>Latest jobs</h2><table><tr><th>job</th><th>package</th><th>version</th><th>suite/arch</th><th>status</th><th>why</th></tr>
${rows}</table>
<h2>Submit a job</h2>
<form method="post" action="/job/">
<label>package <input name="package" required></label> <label>version <input name="version" required></label>
<label>suite <input name="suite" value="bookworm"></label> <label>architectures <input name="architecture_list" value="any"></label>
<label>format <input name="format" value="deb"></label><br>
<label>method <select name="method"><option>git</option><option>svn</option><option>apt</option><option>dsc</option></select></label>
<label>uri <input name="uri" size="50" required></label> <label>revision <input name="vcs_id"></label>
<button>Submit</button> (needs HTTP Basic credentials: a token's name and the token)
</form></body></html>`);
    });
  };
}

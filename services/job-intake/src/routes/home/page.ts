import type { Catalog } from '@tsbit/domain';
import type { JobSummary } from '@tsbit/read-models';

/** Seconds between the page's refreshes of itself. */
export const REFRESH_SECONDS = 10;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and quoted attribute values alike. */
export const escapeHtml = (value: unknown): string => String(value ?? '').replace(/[&<>"']/g, (char) => ENTITIES[char] as string);

const options = (names: string[], selected?: string): string =>
  names.map((name) => `<option${name === selected ? ' selected' : ''}>${escapeHtml(name)}</option>`).join('');

/**
 * The farm at a glance: the latest jobs (the page refreshes itself; no script) and pyBit's job
 * form, posted form-encoded to /job/ as pyBit's pages did. Every value shown is escaped.
 */
export function renderHomePage(jobs: JobSummary[], catalog: Catalog): string {
  const rows = jobs
    .map(
      (job) =>
        `<tr><td><a href="/job/${job.id}">${job.id}</a></td><td>${escapeHtml(job.package)}</td><td>${escapeHtml(job.version)}</td>` +
        `<td>${escapeHtml(job.suite)}/${escapeHtml(job.arch)}</td><td>${escapeHtml(job.status)}</td><td>${escapeHtml(job.reason?.message)}</td>` +
        `<td>${escapeHtml(job.builder)}</td></tr>`,
    )
    .join('\n');
  const suites = Object.keys(catalog.suites).sort();
  const formats = Object.keys(catalog.entries.format).sort();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="${REFRESH_SECONDS}"><title>tsbit</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:.2em .8em;border-bottom:1px solid #ddd;text-align:left}label{margin-right:1em}</style></head>
<body><h1>tsbit</h1>
<p><a href="/docs">API documentation</a> · <a href="/openapi.json">OpenAPI</a> · <a href="/job">jobs (JSON)</a> · <a href="/buildd">builders</a> · <a href="/suite">suites</a></p>
<h2>Latest jobs</h2>
<table><tr><th>job</th><th>package</th><th>version</th><th>suite/arch</th><th>status</th><th>why</th><th>builder</th></tr>
${rows || '<tr><td colspan="7">no jobs yet</td></tr>'}</table>
<h2>Submit a job</h2>
<form method="post" action="/job/">
<p><label>package <input name="package" required></label><label>version <input name="version" required></label></p>
<p><label>suite <select name="suite">${options(suites)}</select></label><label>architectures <input name="architecture_list" value="any"></label>
<label>format <select name="format">${options(formats, 'deb')}</select></label></p>
<p><label>method <select name="method"><option>git</option><option>svn</option><option>apt</option><option>dsc</option></select></label>
<label>uri <input name="uri" size="60" placeholder="none for apt: the builders' archives"></label><label>revision <input name="vcs_id"></label></p>
<p><button>Submit</button> Your browser asks for HTTP Basic credentials: a token's name and the token.</p>
</form></body></html>`;
}

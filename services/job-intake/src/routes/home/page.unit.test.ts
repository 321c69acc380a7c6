import { catalogDecider } from '@tsbit/domain';
import { submittedJob } from '@tsbit/read-models/testing';
import { evolveJob, toSummary, type JobRow } from '@tsbit/read-models';
import { escapeHtml, renderHomePage } from './page';

describe('the home page', () => {
  it('escapes every value it shows', () => {
    const hostile = submittedJob(7, { package: '<script>alert(1)</script>', version: '1.0"onmouseover="x' });
    const job = toSummary(evolveJob(null, hostile, { version: 0, recordedAt: '2026-11-24T10:00:00.000Z' }) as JobRow);
    const catalog = catalogDecider.initialState();
    catalog.suites['<b>'] = { name: '<b>', dist: 'debian', arches: [], formats: [], envs: [], keyrings: [], skipSignatureCheck: false, skipLintian: false };
    const page = renderHomePage([job], catalog);
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('1.0&quot;onmouseover=&quot;x');
    expect(page).toContain('<option>&lt;b&gt;</option>');
    expect(escapeHtml(`'&`)).toBe('&#39;&amp;');
  });
});

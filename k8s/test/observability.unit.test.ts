import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const root = path.join(__dirname, '..', '..');
const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (entry === 'node_modules' || entry === 'gen') return [];
    return statSync(full).isDirectory() ? sources(full) : full.endsWith('.ts') && !full.endsWith('.test.ts') ? [full] : [];
  });

describe('the observability configuration', () => {
  const dashboard = JSON.parse(readFileSync(path.join(__dirname, '..', 'observability', 'grafana-dashboard.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
  const code = [...sources(path.join(root, 'services')), ...sources(path.join(root, 'libs'))].map((file) => readFileSync(file, 'utf8')).join('\n');

  it('charts only metrics that the services export', () => {
    const metrics = new Set(dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => [...target.expr.matchAll(/tsbit_[a-z_]+/g)].map((match) => match[0].replace(/_(bucket|count|sum)$/, '')))));
    expect(metrics.size).toBeGreaterThan(5);
    for (const metric of metrics) expect({ metric, exported: code.includes(`'${metric}'`) }).toEqual({ metric, exported: true });
  });

  it('scrapes every service of the local farm', () => {
    const config = parse(readFileSync(path.join(__dirname, '..', 'observability', 'prometheus.yml'), 'utf8')) as { scrape_configs: { static_configs: { labels: { service: string } }[] }[] };
    const services = config.scrape_configs.flatMap((scrape) => scrape.static_configs.map((target) => target.labels.service));
    expect(services.sort()).toEqual(['artifact', 'builder', 'job-intake', 'projection', 'scheduler']);
  });
});

import { farmOverhead } from './farm-overhead';
import { logFollow } from './log-follow';
import { massRebuild } from './mass-rebuild';
import { publishLatency } from './publish-latency';
import { sbuildOverhead } from './sbuild-overhead';

const benchmarks: Record<string, (args: string[]) => Promise<void>> = {
  'farm-overhead': farmOverhead,
  'mass-rebuild': massRebuild,
  'publish-latency': publishLatency,
  'log-follow': logFollow,
  'sbuild-overhead': sbuildOverhead,
};

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const selected = name ? benchmarks[name] : undefined;
  if (!selected) {
    process.stderr.write(`usage: npm run bench -- <${Object.keys(benchmarks).join('|')}> [options]\n`);
    process.exit(2);
  }
  await selected(args);
  process.exit(0);
}

void main();

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { probeHost } from './probe';

/** The probe against this machine's real tools (arch-test), with binfmt_misc's folder given. */
describe('probing binfmt_misc', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'tsbit-probe-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('reads the interpreters binfmt_misc has enabled with flag F, and no others', async () => {
    const binfmt = path.join(scratch, 'binfmt_misc');
    mkdirSync(binfmt);
    writeFileSync(path.join(binfmt, 'qemu-aarch64'), 'enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: PF\n');
    writeFileSync(path.join(binfmt, 'qemu-riscv64'), 'enabled\ninterpreter /usr/libexec/qemu-binfmt/riscv64-binfmt-P\nflags: P\n');
    const facts = await probeHost({ chrootDir: scratch, arches: ['arm64', 'riscv64'], paths: { binfmtDir: binfmt } });
    expect([...facts.binfmt]).toEqual(['qemu-aarch64']);
  });

  it('asks the kernel through arch-test where binfmt_misc is not mounted (a container): what it runs counts', async () => {
    // i386 programs run on an amd64 kernel, as an interpreter registered by the node would make arm64's run.
    const facts = await probeHost({ chrootDir: scratch, arches: ['amd64', 'i386'], paths: { binfmtDir: path.join(scratch, 'not-mounted') } });
    expect(facts.binfmt.has('qemu-i386')).toBe(facts.runsNatively.has('i386'));
    expect(facts.binfmt.has('qemu-i386')).toBe(true);
  });
});

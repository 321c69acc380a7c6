import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PackageTree } from './fixtures';

/**
 * A tiny architecture-dependent Debian package: one C program, compiled with the build's
 * (cross) compiler, so that its .deb is `Architecture: <the build's host arch>` and its program an
 * ELF of that architecture. Needs only build-essential and debhelper in the chroot.
 */
export function makeCProgramTree(options: { package: string; version?: string; root?: string }): PackageTree {
  const name = options.package;
  const version = options.version ?? '1.0';
  const dir = mkdtempSync(path.join(options.root ?? tmpdir(), `${name}-`));
  mkdirSync(path.join(dir, 'debian', 'source'), { recursive: true });
  const write = (file: string, content: string): void => writeFileSync(path.join(dir, file), content);
  write(`${name}.c`, '#include <stdio.h>\nint main(void) { printf("Hello from tsbit on %d-bit\\n", (int)(8 * sizeof(void *))); return 0; }\n');
  // dh_auto_build runs make with CC set to the build's (cross) compiler.
  write('Makefile', `${name}: ${name}.c\n\t$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $<\n\ninstall:\n\tinstall -D -m 755 ${name} $(DESTDIR)/usr/bin/${name}\n`);
  write('debian/source/format', '3.0 (native)\n');
  write(
    'debian/control',
    [
      `Source: ${name}`,
      'Section: misc',
      'Priority: optional',
      'Maintainer: tsbit tests <tests@tsbit.invalid>',
      'Build-Depends: debhelper-compat (= 13)',
      'Standards-Version: 4.6.2',
      'Rules-Requires-Root: no',
      '',
      `Package: ${name}`,
      'Architecture: any',
      'Depends: ${shlibs:Depends}, ${misc:Depends}',
      'Description: greeting program built by the tsbit builder tests',
      ' A one-line C program.',
      '',
    ].join('\n'),
  );
  write('debian/changelog', `${name} (${version}) bookworm; urgency=medium\n\n  * Test build.\n\n -- tsbit tests <tests@tsbit.invalid>  Tue, 24 Nov 2026 00:00:00 +0000\n`);
  write('debian/rules', '#!/usr/bin/make -f\n%:\n\tdh $@\n');
  chmodSync(path.join(dir, 'debian', 'rules'), 0o755);
  return { dir, package: name, version };
}

import { gzipSync } from 'node:zlib';

/**
 * A minimal but real .deb (ar archive of debian-binary, control.tar.gz, data.tar.gz) written
 * without spawning dpkg-deb, so that a benchmark can make ten thousand of them in seconds.
 * `dpkg-deb --field` and apt read it like any other.
 */
export function tinyDeb(fields: { package: string; version: string; arch: string; description?: string }): Buffer {
  const control = [
    `Package: ${fields.package}`,
    `Version: ${fields.version}`,
    `Architecture: ${fields.arch}`,
    'Maintainer: tsbit bench <bench@tsbit.invalid>',
    'Installed-Size: 1',
    'Section: misc',
    'Priority: optional',
    `Description: ${fields.description ?? `${fields.package}, a benchmark package`}`,
    ' Made by the publish-latency benchmark.',
    '',
  ].join('\n');
  return ar([
    { name: 'debian-binary', data: Buffer.from('2.0\n') },
    { name: 'control.tar.gz', data: gzipSync(tar([{ name: './control', data: Buffer.from(control) }])) },
    { name: 'data.tar.gz', data: gzipSync(tar([])) },
  ]);
}

function tar(entries: { name: string; data: Buffer }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const header = Buffer.alloc(512);
    header.write(entry.name, 0, 100, 'utf8');
    header.write('0000644\0', 100, 8, 'ascii');
    header.write('0000000\0', 108, 8, 'ascii');
    header.write('0000000\0', 116, 8, 'ascii');
    header.write(`${entry.data.length.toString(8).padStart(11, '0')}\0`, 124, 12, 'ascii');
    header.write('00000000000\0', 136, 12, 'ascii');
    header.write('        ', 148, 8, 'ascii');
    header.write('0', 156, 1, 'ascii');
    header.write('ustar\0', 257, 6, 'ascii');
    header.write('00', 263, 2, 'ascii');
    header.write('root', 265, 32, 'ascii');
    header.write('root', 297, 32, 'ascii');
    let checksum = 0;
    for (const byte of header) checksum += byte;
    header.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
    blocks.push(header, entry.data, Buffer.alloc((512 - (entry.data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function ar(members: { name: string; data: Buffer }[]): Buffer {
  const parts: Buffer[] = [Buffer.from('!<arch>\n')];
  for (const member of members) {
    const header = `${member.name.padEnd(16)}${'0'.padEnd(12)}${'0'.padEnd(6)}${'0'.padEnd(6)}${'100644'.padEnd(8)}${String(member.data.length).padEnd(10)}\`\n`;
    parts.push(Buffer.from(header, 'ascii'), member.data);
    if (member.data.length % 2 === 1) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

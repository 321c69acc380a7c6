/**
 * Debian control files (deb822): what `dpkg-deb -f` prints, a .dsc, a Packages or Sources
 * stanza. Fields keep their order and their continuation lines exactly, because a stanza is
 * copied into the indices as the package built it.
 */
export type Stanza = [field: string, value: string][];

const FIELD = /^([!-9;-~][!-9;-~]*):[ \t]?(.*)$/;

/** The first paragraph of `text`; continuation lines stay part of their field's value. */
export function parseStanza(text: string): Stanza {
  const stanza: Stanza = [];
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    if (line.trim() === '') {
      if (stanza.length > 0) break;
      continue;
    }
    if (line.startsWith('#')) continue;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      const last = stanza[stanza.length - 1];
      if (!last) throw new Error(`deb822: a continuation line before any field: "${line}"`);
      last[1] += `\n${line}`;
      continue;
    }
    const match = FIELD.exec(line);
    if (!match) throw new Error(`deb822: not a field: "${line}"`);
    stanza.push([match[1] as string, (match[2] as string).trimEnd()]);
  }
  return stanza;
}

/** The signed text of a clearsigned OpenPGP message (a signed .dsc), or `text` if unsigned. */
export function clearsignedText(text: string): string {
  const normalised = text.replace(/\r\n/g, '\n');
  if (!normalised.startsWith('-----BEGIN PGP SIGNED MESSAGE-----')) return normalised;
  const body = normalised.slice(normalised.indexOf('\n\n') + 2);
  const end = body.indexOf('\n-----BEGIN PGP SIGNATURE-----');
  // Lines starting with '-' are dash-escaped in a clearsigned message.
  return (end < 0 ? body : body.slice(0, end))
    .split('\n')
    .map((line) => (line.startsWith('- ') ? line.slice(2) : line))
    .join('\n');
}

export function field(stanza: Stanza, name: string): string | undefined {
  const lower = name.toLowerCase();
  return stanza.find(([key]) => key.toLowerCase() === lower)?.[1];
}

export function withoutFields(stanza: Stanza, names: string[]): Stanza {
  const lower = new Set(names.map((name) => name.toLowerCase()));
  return stanza.filter(([key]) => !lower.has(key.toLowerCase()));
}

/** One paragraph, ending with a newline; paragraphs are joined with an empty line. */
export function formatStanza(stanza: Stanza): string {
  return stanza.map(([key, value]) => (value.startsWith('\n') ? `${key}:${value}` : `${key}: ${value}`)).join('\n') + '\n';
}

/** `Files` / `Checksums-Sha256` lines of a .dsc: " <hash> <size> <name>". */
export function fileList(value: string | undefined): { hash: string; size: number; name: string }[] {
  if (!value) return [];
  return value
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [hash, size, name] = line.split(/\s+/);
      if (!hash || !size || !name) throw new Error(`deb822: a file line needs hash, size and name: "${line}"`);
      return { hash, size: Number(size), name };
    });
}

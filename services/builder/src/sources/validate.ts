import { invalidSource } from '../failure';

// Control characters and whitespace have no place in a URL, a ref or a version, and a leading '-'
// would turn any of them into an option of the tool it is handed to.
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARACTERS = /[\s\u0000-\u001f\u007f]/;

/** Refuses a value that a tool could read as an option, or that carries control characters. */
export function checkArgument(field: string, value: string): string {
  if (value.startsWith('-')) throw invalidSource(`${field}: "${value}" must not start with '-'`);
  if (UNSAFE_CHARACTERS.test(value)) throw invalidSource(`${field}: must not contain whitespace or control characters`);
  return value;
}

/** A URL whose scheme is one of `schemes` (e.g. "https:"). */
export function checkUrl(field: string, value: string, schemes: readonly string[]): string {
  checkArgument(field, value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidSource(`${field}: "${value}" is not a URL`);
  }
  if (!schemes.includes(url.protocol)) {
    throw invalidSource(`${field}: scheme "${url.protocol}" is not one of ${schemes.join(' ')}`);
  }
  return value;
}

const DEBIAN_PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;
const DEBIAN_VERSION = /^(\d+:)?[0-9][A-Za-z0-9.+~:-]*$/;

export function checkDebianPackage(field: string, value: string): string {
  if (!DEBIAN_PACKAGE.test(value)) throw invalidSource(`${field}: "${value}" is not a Debian package name (${DEBIAN_PACKAGE.source})`);
  return value;
}

export function checkDebianVersion(field: string, value: string): string {
  if (!DEBIAN_VERSION.test(value)) throw invalidSource(`${field}: "${value}" is not a Debian version (${DEBIAN_VERSION.source})`);
  return value;
}

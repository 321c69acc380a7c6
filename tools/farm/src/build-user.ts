import { readFileSync } from 'node:fs';

/** The unprivileged user that runs builders: sbuild's unshare mode refuses root. */
export interface BuildUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** The user tools/prerequisites.sh creates. */
export const DEFAULT_BUILD_USER = 'tsbit-build';

/** A user from /etc/passwd, or undefined when there is none of that name. */
export function lookUpUser(name: string, passwd = readFileSync('/etc/passwd', 'utf8')): BuildUser | undefined {
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid, , home] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined && home !== undefined) {
      return { name, uid: Number(uid), gid: Number(gid), home };
    }
  }
  return undefined;
}

/**
 * Who runs the farm's builders: run as root, the farm hands them to the build user (the rest of
 * the farm stays as it is); run as anyone else, they run as that user, whose own subuid range
 * sbuild then needs. Undefined means "as this process".
 */
export function builderUser(name = process.env.TSBIT_BUILD_USER ?? DEFAULT_BUILD_USER): BuildUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const user = lookUpUser(name);
  if (!user) throw new Error(`the farm runs as root, so its builders run as the build user ${name}, which does not exist: run sudo tools/prerequisites.sh`);
  return user;
}

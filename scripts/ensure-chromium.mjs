#!/usr/bin/env node
// The browser tests drive Debian's Chromium (no browser download is possible here). Install it
// when it is missing and we may (root with apt-get); otherwise say exactly what to do.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.DESCRY_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  const isRoot = process.getuid?.() === 0;
  if (isRoot && existsSync('/usr/bin/apt-get')) {
    console.log('Chromium is missing: installing Debian package chromium for the browser tests…');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
  } else {
    console.error(
      `Chromium not found at ${CHROMIUM}. Install it (Debian: sudo apt-get install -y chromium) or set DESCRY_CHROMIUM.`,
    );
    process.exit(1);
  }
}

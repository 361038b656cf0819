#!/usr/bin/env node
// The browser tests drive Debian's Chromium (no browser download is possible here). Install it
// when it is missing and we may (root with apt-get), and only it: the packages it needs are added,
// none already installed is upgraded (apt would otherwise upgrade shared libraries it wants newer,
// a side effect nobody running `npm test` asked for). Otherwise say exactly what to do.
// Plain JavaScript for any Node: .ci/run calls it before `npm ci` brings Node 22.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.DESCRY_CHROMIUM ?? '/usr/bin/chromium';
// CI owns its fresh machine and says so: there, the shared libraries Chromium needs newer are
// upgraded with it (and listed). `npm test` on anyone else's machine never does that by itself.
const ALLOW_UPGRADES = process.argv.includes('--allow-upgrades');
const MANUAL = 'apt-get install --no-upgrade chromium';

function fail(message) {
  console.error(`ensure-chromium: ${message}`);
  process.exit(1);
}

/** apt-get with `args`; its output is shown only when it fails. */
function aptGet(args) {
  const result = spawnSync('apt-get', args, {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (/Could not get lock|Unable to acquire the dpkg frontend lock|dpkg was interrupted/.test(output)) {
    fail(
      `the package manager is busy (dpkg is locked by another apt or dpkg process).\n` +
        `Wait for it to finish and run npm test again, or install Chromium yourself: ${MANUAL}\n\n${output}`,
    );
  }
  if (result.status !== 0) fail(`apt-get ${args.join(' ')} failed:\n${output}`);
  return output;
}

if (!existsSync(CHROMIUM)) {
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !existsSync('/usr/bin/apt-get')) {
    fail(`Chromium not found at ${CHROMIUM}. Install it (Debian: sudo ${MANUAL}) or set DESCRY_CHROMIUM.`);
  }
  console.log('Chromium is missing: installing Debian package chromium for the browser tests…');
  aptGet(['update', '-qq']);
  // A dry run first: "Inst name [installed version] (new version …)" is an upgrade.
  const plan = aptGet(['install', '--simulate', '--no-upgrade', 'chromium']);
  const upgrades = [...plan.matchAll(/^Inst (\S+) \[([^\]]+)\] \((\S+)/gm)].map(
    ([, name, from, to]) => `${name} ${from} → ${to}`,
  );
  if (upgrades.length > 0 && ALLOW_UPGRADES) {
    console.log(
      `chromium needs newer versions of installed packages (--allow-upgrades):\n  ${upgrades.join('\n  ')}`,
    );
  } else if (upgrades.length > 0) {
    fail(
      `installing chromium would upgrade packages already on this machine:\n  ${upgrades.join('\n  ')}\n` +
        `Not doing that as a side effect of the tests: install it yourself if that is fine (${MANUAL}), ` +
        'or set DESCRY_CHROMIUM to another Chromium.',
    );
  }
  aptGet(['install', '-y', '-qq', '--no-upgrade', 'chromium']);
  if (!existsSync(CHROMIUM)) fail(`apt-get installed chromium, but ${CHROMIUM} is still missing`);
  console.log(`Chromium installed: ${CHROMIUM}`);
}

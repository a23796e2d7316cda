/**
 * The tools users reach for instead (Debian packages `rclone` and `awscli`), pointed at the
 * benchmark's S3 endpoint through flags and environment only: no configuration file is read or
 * written in $HOME. Missing tools are installed with apt-get when possible (as root, like the
 * server scripts install Ceph); otherwise their rows say so.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

function which(cmd) {
  const r = spawnSync('bash', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** rclone and aws (the Debian `aws` in /usr/bin first: a pyenv or pip one may shadow it), installing them if needed. */
export function findPeers(log, { install = true } = {}) {
  const find = () => ({ rclone: which('rclone'), aws: fs.existsSync('/usr/bin/aws') ? '/usr/bin/aws' : which('aws') });
  let found = find();
  if ((!found.rclone || !found.aws) && install && process.getuid?.() === 0 && which('apt-get')) {
    log('installing rclone and awscli with apt-get');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const args = ['install', '-y', '-q', '--no-install-recommends', ...(found.rclone ? [] : ['rclone']), ...(found.aws ? [] : ['awscli'])];
    let r = spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 600_000 });
    if (r.status !== 0) {
      spawnSync('apt-get', ['update', '-q'], { env, stdio: 'ignore', timeout: 300_000 });
      r = spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 600_000 });
    }
    if (r.status !== 0) log(`apt-get install failed: ${r.stderr.trim().split('\n').at(-1)}`);
    found = find();
  }
  const version = (cmd, args) => (cmd ? spawnSync(cmd, args, { encoding: 'utf8' }).stdout.split('\n')[0]?.trim() : undefined);
  return { ...found, rcloneVersion: version(found.rclone, ['version']), awsVersion: found.aws ? spawnSync(found.aws, ['--version'], { encoding: 'utf8' }).stdout.trim() : undefined };
}

/** rclone's arguments for an S3-compatible endpoint (an on-the-fly `:s3:` remote, no config file). */
export function rcloneS3(store, endpoint) {
  return [
    '--s3-provider', 'Ceph',
    '--s3-endpoint', endpoint,
    '--s3-access-key-id', store.credentials.accessKeyId,
    '--s3-secret-access-key', store.credentials.secretAccessKey,
    '--s3-region', store.region,
    '--s3-force-path-style=true',
  ];
}

/** The environment of rclone and aws: credentials only, a throwaway HOME, no config files. */
export function peerEnv(store, home) {
  return {
    PATH: process.env.PATH,
    HOME: home,
    RCLONE_CONFIG: path.join(home, 'no-rclone.conf'),
    AWS_ACCESS_KEY_ID: store.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: store.credentials.secretAccessKey,
    AWS_DEFAULT_REGION: store.region,
    AWS_CONFIG_FILE: path.join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
}

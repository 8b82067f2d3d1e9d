// mounts.mjs serves a function's file systems (FileSystemConfigs, mounted by
// Lambda under /mnt) from local folders: lambdadeck cannot mount at /mnt
// without root, so the paths a handler gives the fs module under a mount
// point are rewritten to the local folder that serves it (--mount). This
// covers fs, fs/promises and the streams built on them, for CommonJS and ES
// modules; native addons and child processes see the real /mnt.

import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The fs functions whose first (and, for these, second) argument is a path.
const ONE_PATH = [
  'access', 'appendFile', 'chmod', 'chown', 'createReadStream', 'createWriteStream', 'exists', 'lchmod', 'lchown',
  'lstat', 'lutimes', 'mkdir', 'mkdtemp', 'open', 'openAsBlob', 'opendir', 'readdir', 'readFile', 'readlink',
  'realpath', 'rm', 'rmdir', 'stat', 'statfs', 'truncate', 'unlink', 'utimes', 'watch', 'watchFile', 'unwatchFile',
  'writeFile', 'glob',
];
const TWO_PATHS = ['copyFile', 'cp', 'link', 'rename', 'symlink'];

/** mapper returns a function that rewrites paths under the mount points. */
export function mapper(mounts) {
  const entries = Object.entries(mounts).sort((a, b) => b[0].length - a[0].length);
  return (p) => {
    let text = p;
    if (p instanceof URL && p.protocol === 'file:') {
      text = fileURLToPath(p);
    } else if (Buffer.isBuffer(p)) {
      text = p.toString();
    }
    if (typeof text !== 'string') {
      return p;
    }
    const abs = path.resolve(text);
    for (const [mount, local] of entries) {
      if (abs === mount || abs.startsWith(mount + '/')) {
        return local + abs.slice(mount.length);
      }
    }
    return p;
  };
}

function wrap(target, name, map, twoPaths) {
  const original = target[name];
  if (typeof original !== 'function') {
    return;
  }
  const wrapped = function (...args) {
    if (args.length > 0) {
      args[0] = map(args[0]);
    }
    if (twoPaths && args.length > 1) {
      args[1] = map(args[1]);
    }
    return original.apply(this, args);
  };
  Object.defineProperty(wrapped, 'name', { value: name });
  for (const key of Object.keys(original)) {
    wrapped[key] = original[key]; // realpath.native, promisify.custom-like extras
  }
  if (original[Symbol.for('nodejs.util.promisify.custom')]) {
    wrapped[Symbol.for('nodejs.util.promisify.custom')] = original[Symbol.for('nodejs.util.promisify.custom')];
  }
  target[name] = wrapped;
}

/**
 * installMounts patches fs for the mounts named in the environment variable
 * (a JSON object of mount point → local folder), which it then removes so
 * that the handler's environment is Lambda's.
 */
export function installMounts(env, variable) {
  const raw = env[variable];
  delete env[variable];
  if (!raw) {
    return;
  }
  let mounts;
  try {
    mounts = JSON.parse(raw);
  } catch {
    return;
  }
  const map = mapper(mounts);
  for (const target of [fs, fs.promises]) {
    for (const name of ONE_PATH) {
      wrap(target, name, map, false);
      wrap(target, name + 'Sync', map, false);
    }
    for (const name of TWO_PATHS) {
      wrap(target, name, map, true);
      wrap(target, name + 'Sync', map, true);
    }
  }
  if (fs.realpathSync.native) {
    wrap(fs.realpathSync, 'native', map, false);
  }
  // ES modules' named imports of node:fs follow the patched functions.
  syncBuiltinESMExports();
}

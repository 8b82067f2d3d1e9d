"""Serve a function's file systems (FileSystemConfigs, mounted by Lambda under
/mnt) from local folders: lambdadeck cannot mount at /mnt without root, so
paths under a mount point that the handler gives open(), os, os.path,
pathlib, shutil and glob are rewritten to the local folder that serves it
(--mount). C extensions and child processes see the real /mnt."""

import builtins
import io
import json
import os

# os functions whose first argument is a path, and those with two.
_ONE_PATH = (
    "access", "chdir", "chmod", "chown", "lchown", "listdir", "lstat", "mkdir", "open",
    "readlink", "remove", "rmdir", "scandir", "stat", "truncate", "unlink", "utime",
    "statvfs", "getxattr", "listxattr", "removexattr", "setxattr", "mkfifo",
)
_TWO_PATHS = ("rename", "replace", "link", "symlink")


def _mapper(mounts):
    entries = sorted(mounts.items(), key=lambda kv: -len(kv[0]))

    def rewrite(p):
        if isinstance(p, int):
            return p  # a file descriptor
        try:
            text = os.fspath(p)
        except TypeError:
            return p
        as_bytes = isinstance(text, bytes)
        if as_bytes:
            text = os.fsdecode(text)
        full = os.path.abspath(text)
        for mount, local in entries:
            if full == mount or full.startswith(mount + "/"):
                mapped = local + full[len(mount):]
                return os.fsencode(mapped) if as_bytes else mapped
        return p

    return rewrite


def _wrap(module, name, rewrite, two):
    original = getattr(module, name, None)
    if original is None:
        return

    def wrapped(*args, **kwargs):
        if args:
            args = (rewrite(args[0]),) + args[1:]
            if two and len(args) > 1:
                args = (args[0], rewrite(args[1])) + args[2:]
        return original(*args, **kwargs)

    wrapped.__name__ = getattr(original, "__name__", name)
    wrapped.__doc__ = getattr(original, "__doc__", None)
    setattr(module, name, wrapped)


def install(variable):
    """install patches the file functions for the mounts in the environment
    variable (a JSON object of mount point to local folder), then removes
    the variable so the handler's environment is Lambda's."""
    raw = os.environ.pop(variable, None)
    if not raw:
        return
    try:
        mounts = json.loads(raw)
    except ValueError:
        return
    rewrite = _mapper(mounts)
    for name in ("open",):
        _wrap(builtins, name, rewrite, False)
    io.open = builtins.open
    for name in _ONE_PATH:
        _wrap(os, name, rewrite, False)
    for name in _TWO_PATHS:
        _wrap(os, name, rewrite, True)
    # os.walk, shutil and glob go through os.scandir and os.stat; os.path's
    # exists/isfile/isdir through os.stat.

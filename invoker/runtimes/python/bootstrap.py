"""Entry point of lambdadeck's Python runtime.

lambdadeck starts it as ``python3 <dir>/python/bootstrap.py`` with the
function's code directory as working directory and Lambda's environment
(``_HANDLER``, ``AWS_LAMBDA_RUNTIME_API``, ``LAMBDA_TASK_ROOT``...). It loads
the handler and serves invocations from the Runtime API until the process is
killed, the handler calls ``sys.exit()``, or the Runtime API fails.
"""

import os
import sys

# The runtime's own modules are imported while this script's folder is still
# sys.path[0]; afterwards the folder leaves sys.path so that the user's code
# resolves imports exactly as on Lambda, task root first. The folder is
# read-only, as /var/runtime is: no __pycache__ is written into it (lambdadeck
# would take one for tampering); the handler's own setting is restored.
_write_bytecode = sys.dont_write_bytecode
sys.dont_write_bytecode = True
from lambdadeck_runtime import mounts, runtime  # noqa: E402

sys.dont_write_bytecode = _write_bytecode


def main():
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    sys.path[0] = task_root
    # Layers come right after the task root, as Lambda's
    # /opt/python/lib/pythonX.Y/site-packages and /opt/python do.
    layers = os.environ.pop("_LAMBDADECK_PYTHON_LAYERS", "")
    if layers:
        sys.path[1:1] = [p for p in layers.split(os.pathsep) if p]
    mounts.install("_LAMBDADECK_MOUNTS")
    runtime.main(task_root, os.environ.get("_HANDLER", ""))


if __name__ == "__main__":
    main()

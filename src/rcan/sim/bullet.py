"""pybullet, without the lines it prints on the process's standard streams.

pybullet writes ``pybullet build time: ...`` when imported and ``argv[0]=`` on every new
connection straight to file descriptors 1 and 2, from C, so ``contextlib.redirect_stdout``
cannot catch them; in a command's output (and in every worker's) they only hide what matters.
Import pybullet from here and open clients with :func:`direct_client`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def native_output_silenced() -> Iterator[None]:
    """Point file descriptors 1 and 2 at /dev/null inside the block (Python's own prints
    included, so keep the block to the native call; exceptions still propagate)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    try:
        with open(os.devnull, "w") as null:
            for fd in saved:
                os.dup2(null.fileno(), fd)
            try:
                yield
            finally:
                for fd, copy in saved.items():
                    os.dup2(copy, fd)
    finally:
        for copy in saved.values():
            os.close(copy)


with native_output_silenced():
    import pybullet
    from pybullet_utils.bullet_client import BulletClient


def direct_client() -> BulletClient:
    """A new headless (DIRECT) physics client."""
    with native_output_silenced():
        return BulletClient(connection_mode=pybullet.DIRECT)


__all__ = ["BulletClient", "direct_client", "native_output_silenced", "pybullet"]

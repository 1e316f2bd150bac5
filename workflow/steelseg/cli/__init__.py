"""The ``steelseg`` command: one thin subcommand per workflow step, in one module per stage
(``data``, ``training``, ``evaluation``, ``inference``); options shared or derived from the
settings schema in ``options``.

Commands parse options and call one function of the step's module. A SteelsegError, and any
error of the file system (no space, read-only, no permission), becomes one line on stderr and
exit code 2; a SteelsegWarning one line ``steelseg: warning: ...``. SIGTERM (what SLURM and
Snakemake send on cancel or time-out) ends a step as an error does, so its temporary output is
removed.
"""

from __future__ import annotations

import errno
import signal
import sys
import warnings

import click

from ..errors import SteelsegError, SteelsegWarning

# What to do about a file-system error, by its errno.
_OS_FIXES = {
    errno.ENOSPC: "the disk is full; free space or write elsewhere, then rerun",
    errno.EDQUOT: "the disk quota is used up; free space or write elsewhere, then rerun",
    errno.EFBIG: "the file is larger than this system allows; write elsewhere, then rerun",
    errno.EROFS: "the file system is read-only; write elsewhere",
    errno.EACCES: "no permission; write where you may, or fix the permissions",
    errno.EPERM: "no permission; write where you may, or fix the permissions",
}


def os_error_line(exc: OSError) -> str:
    """One line for a file-system error: the path, the cause, what to do."""
    where = exc.filename or "a file"
    cause = exc.strerror or str(exc)
    return f"{where}: {cause}; {_OS_FIXES.get(exc.errno, 'check the path, then rerun')}"


def _terminated(signum, frame):
    raise SystemExit(128 + signum)  # unwinds like an error: temporary outputs are removed


def _show_warning(message, category, filename, lineno, file=None, line=None):
    if issubclass(category, SteelsegWarning):
        from tqdm import tqdm

        tqdm.write(f"steelseg: warning: {message}", file=sys.stderr)
    else:
        _default_show_warning(message, category, filename, lineno, file, line)


_default_show_warning = warnings.showwarning


def _fail(message: str):
    """One line on stderr (on a line of its own, also under a progress bar) and exit code 2."""
    from tqdm import tqdm

    tqdm.write(f"steelseg: error: {message}", file=sys.stderr)
    sys.exit(2)


class SteelsegGroup(click.Group):
    """Turn project and file-system errors into one line and exit code 2, with no traceback."""

    def invoke(self, ctx):
        signal.signal(signal.SIGTERM, _terminated)
        warnings.showwarning = _show_warning
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:  # a bad option: one line too, with where to look
            command = f"steelseg {ctx.invoked_subcommand or ''}".strip()
            _fail(f"{exc.format_message()} (see '{command} --help')")
        except SteelsegError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(os_error_line(exc))
        except MemoryError:
            _fail("out of memory; use smaller images, fewer threads, or a machine with more memory")


@click.group(cls=SteelsegGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="steelseg")
def main():
    """Semantic segmentation of steel micrographs (Muñoz-Rodenas et al. 2024), step by step."""


from . import data, evaluation, inference, training  # noqa: E402  (each registers its commands)

__all__ = ["main", "data", "evaluation", "inference", "training"]

"""``python -m steelseg``: what the workflow rules call, so conda envs need no install step."""

from .cli import main

main(prog_name="steelseg")

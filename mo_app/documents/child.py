"""A large paper typeset in a process of its own (engine.py decides which): the job — template path, inputs and
options — comes as JSON on stdin, the PDF goes to stdout, a Typst error to stderr with exit status 1.

Typst keeps what it computed for its last ten compilations in the process (its memoisation cache: the wheel
evicts only what ten compilations did not use). For a paper of a few pages that is a few MB; for the year's
visits register it is hundreds of MB per compilation, which a server process would keep. Here it goes back to the
system when this process ends. Run as a script (not `-m mo_app...`): it imports nothing of the app.

It runs at a lower priority (nice 10) than the server: a year's paper takes a core for a second or more, and a
page someone is waiting for comes first."""

import json
import os
import sys

import typst


def main() -> int:
    if hasattr(os, "nice"):  # not on Windows
        os.nice(10)
    job = json.load(sys.stdin.buffer)
    try:
        pdf = typst.compile(job["path"], sys_inputs=job["inputs"], **job["options"])
    except typst.TypstError as e:
        sys.stderr.write(str(e))
        return 1
    sys.stdout.buffer.write(pdf)
    return 0


if __name__ == "__main__":
    sys.exit(main())

import multiprocessing
import runpy
import sys

from playground.cli import main


def run_as_interpreter(argv: list[str]) -> int:
    """``-m MODULE ARGS`` or ``-c CODE``, as python runs them: a frozen app has no interpreter of its
    own, and its helpers (the sweep's plot, the bench's thread count) start one as sys.executable."""
    flag, target, *rest = argv
    sys.argv = [target, *rest]
    if flag == "-m":
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        exec(compile(target, "<string>", "exec"), {"__name__": "__main__"})
    return 0


if __name__ == "__main__":  # the training process (spawned) imports this module too: run nothing then
    multiprocessing.freeze_support()
    if getattr(sys, "frozen", False) and len(sys.argv) > 2 and sys.argv[1] in ("-m", "-c"):
        sys.exit(run_as_interpreter(sys.argv[1:]))
    sys.exit(main())

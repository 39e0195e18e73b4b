import multiprocessing
import sys

from playground.cli import main

if __name__ == "__main__":  # the training process (spawned) imports this module too: run nothing then
    multiprocessing.freeze_support()
    sys.exit(main())

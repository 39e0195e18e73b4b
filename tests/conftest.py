from playground.core.devices import use_few_threads

use_few_threads()  # as the app and the CLI do: the test machine has 2 shared cores

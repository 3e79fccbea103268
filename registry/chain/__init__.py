"""The registry's side of the chain: roles read from the institution registry, the bureau set up at
start, and the worker that carries out chain jobs."""

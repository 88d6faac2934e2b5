"""`kith bench`: a benchmark that drives a real kith server through its public API and protocol.

The server runs in its own process; the load comes from separate worker processes speaking the
WebSocket protocol. See bench/README.md for what each workload isolates and how to read the output.
"""

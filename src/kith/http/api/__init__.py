"""Route handlers, one module per domain area: parse, call one service verb, shape the answer."""

"""Neural Network Playground: build small networks from widgets and watch them train."""

__version__ = "0.1.0"

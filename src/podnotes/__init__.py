"""podnotes: how a Kubernetes Pod is built from plain Linux processes.

The package does the work the book's chapters show. Importing it is cheap on
purpose: heavy dependencies (matplotlib, the kubernetes client) are imported
only by the modules that need them.
"""

__version__ = "0.1.0"

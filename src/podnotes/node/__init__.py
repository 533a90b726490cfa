"""A real single-node Kubernetes cluster (kubelet + containerd + runc) for checking the book's claims.

See :mod:`podnotes.node.localnode` for what runs and :mod:`podnotes.node.host` for the cleanup proof.
"""

from .binaries import find_node_binaries, missing_prerequisites
from .localnode import LocalNode, NodeError

__all__ = ["LocalNode", "NodeError", "find_node_binaries", "missing_prerequisites"]

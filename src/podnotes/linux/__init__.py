"""Linux primitives the book's chapters use: processes, and later chroot,
namespaces and cgroups. Every experiment runs in child processes, never in
the calling (notebook kernel) process, and cleans up after itself."""

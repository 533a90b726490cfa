// pause is the first process of every Pod sandbox on the test node: it holds the Pod's namespaces open,
// reaps orphaned children when it is PID 1 of a shared PID namespace, and exits on SIGINT or SIGTERM.
// It plays the part of the registry.k8s.io/pause image, which cannot be pulled where there is no registry.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range signals {
		if sig == syscall.SIGCHLD {
			reapChildren()
			continue
		}
		os.Exit(0)
	}
}

func reapChildren() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

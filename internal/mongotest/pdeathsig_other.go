//go:build !linux

package mongotest

import "os/exec"

// setPdeathsig has no portable equivalent outside Linux; FerretDB still
// exits when its stdin (a pipe from the test binary) closes.
func setPdeathsig(*exec.Cmd) {}

//go:build !linux

package testproc

import "os/exec"

// SetPdeathsig has no portable equivalent outside Linux; test cleanup
// kills the process.
func SetPdeathsig(*exec.Cmd) {}

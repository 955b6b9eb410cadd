//go:build !linux

package redistest

import "os/exec"

// setPdeathsig has no portable equivalent outside Linux; cleanup kills
// the server.
func setPdeathsig(*exec.Cmd) {}

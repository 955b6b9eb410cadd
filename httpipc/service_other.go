//go:build !unix

package httpipc

import "os/exec"

func setProcessGroup(*exec.Cmd) {}

func killProcess(cmd *exec.Cmd) { cmd.Process.Kill() }

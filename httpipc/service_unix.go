//go:build unix

package httpipc

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts a started app in its own process group, so that
// killing it also kills what it started, and a Ctrl-C meant for the
// client does not reach it.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func killProcess(cmd *exec.Cmd) {
	if syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) != nil {
		cmd.Process.Kill()
	}
}

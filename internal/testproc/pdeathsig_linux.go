package testproc

import (
	"os/exec"
	"syscall"
)

// SetPdeathsig makes the kernel kill cmd's process if the test binary
// dies first (a panic, a SIGKILL), so no server outlives its test.
func SetPdeathsig(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}

//go:build !linux

package loadtest

import (
	"errors"
	"syscall"
)

// RaiseNofile is a no-op outside Linux.
func RaiseNofile() (uint64, error) { return 0, nil }

// VmRSS is only known on Linux.
func VmRSS(int) (int64, error) { return 0, errors.New("loadtest: VmRSS needs /proc") }

func childAttr() *syscall.SysProcAttr { return nil }

func dialControl(_, _ string, _ syscall.RawConn) error { return nil }

func ephemeralPorts() int { return 0 }

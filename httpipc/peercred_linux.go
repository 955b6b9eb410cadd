package httpipc

import (
	"net"
	"syscall"
)

// PeerCred returns the credentials of the peer of a unix socket
// connection (SO_PEERCRED): those of the process that connected, taken
// when it connected.
func PeerCred(c net.Conn) (Cred, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		if w, ok := c.(interface{ NetConn() net.Conn }); ok {
			return PeerCred(w.NetConn())
		}
		return Cred{}, ErrPeerCredUnsupported
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return Cred{}, err
	}
	var (
		u    *syscall.Ucred
		uerr error
	)
	if err := raw.Control(func(fd uintptr) {
		u, uerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return Cred{}, err
	}
	if uerr != nil {
		return Cred{}, uerr
	}
	return Cred{PID: u.Pid, UID: u.Uid, GID: u.Gid}, nil
}

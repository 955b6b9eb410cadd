package httpipc

import (
	"errors"
	"fmt"
	"net"
	"os"
)

// Cred is the identity of the process at the other end of a unix socket,
// as the kernel recorded it when the connection was made (Linux
// SO_PEERCRED): the desktop counterpart of Binder.getCallingUid() or an
// XPC audit token (httpipc spec §3.7).
type Cred struct {
	PID int32
	UID uint32
	GID uint32
}

// PeerCheck decides whether a peer may talk to the server; a non-nil
// error refuses it.
type PeerCheck func(Cred) error

// Peer-check errors.
var (
	// ErrUnauthorizedPeer: a PeerCheck refused the peer.
	ErrUnauthorizedPeer = errors.New("httpipc: peer not authorized")
	// ErrPeerCredUnsupported: the connection is not a unix socket, or the
	// platform gives no peer credentials.
	ErrPeerCredUnsupported = errors.New("httpipc: peer credentials not available")
)

// RequireUID is a PeerCheck that admits only peers running as one of uids.
func RequireUID(uids ...uint32) PeerCheck {
	uids = append([]uint32(nil), uids...)
	return func(c Cred) error {
		for _, u := range uids {
			if c.UID == u {
				return nil
			}
		}
		return fmt.Errorf("%w: uid %d", ErrUnauthorizedPeer, c.UID)
	}
}

// SameUser is a PeerCheck that admits only peers running as this
// process's user.
func SameUser() PeerCheck { return RequireUID(uint32(os.Getuid())) }

// CheckPeers wraps a unix-socket listener so that Accept returns only
// connections whose peer passes check: any other connection is closed
// before a byte is read from or written to it, so no HTTP is served to
// it. A connection whose credentials cannot be read is refused too.
// refused, if not nil, is told about each refusal.
func CheckPeers(ln net.Listener, check PeerCheck, refused func(error)) net.Listener {
	return &peerListener{Listener: ln, check: check, refused: refused}
}

type peerListener struct {
	net.Listener
	check   PeerCheck
	refused func(error)
}

func (l *peerListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		cred, err := PeerCred(c)
		if err == nil {
			err = l.check(cred)
			if err != nil && !errors.Is(err, ErrUnauthorizedPeer) {
				err = fmt.Errorf("%w: %w", ErrUnauthorizedPeer, err)
			}
		}
		if err == nil {
			return c, nil
		}
		c.Close()
		if l.refused != nil {
			l.refused(err)
		}
	}
}

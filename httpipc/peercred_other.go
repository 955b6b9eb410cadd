//go:build !linux

package httpipc

import "net"

// PeerCred returns ErrPeerCredUnsupported: only Linux (SO_PEERCRED) is
// implemented. On BSD and macOS, getpeereid(2) would be the equivalent.
func PeerCred(net.Conn) (Cred, error) { return Cred{}, ErrPeerCredUnsupported }

package httpipc

import "context"

// MessageConn is a channel of discrete messages between two apps: the
// shape of an Android Binder transaction, an iOS XPC connection or a
// postMessage port. Each Send is delivered as one Recv on the other side,
// in order, or the connection fails.
//
// Implementations must allow one goroutine calling Send concurrently with
// one calling Recv. Close unblocks both.
type MessageConn interface {
	// Send delivers msg as one message. msg is at most MaxMessageSize
	// bytes; Send does not retain msg after it returns.
	Send(ctx context.Context, msg []byte) error
	// Recv returns the next message. The returned slice is owned by the
	// caller.
	Recv(ctx context.Context) ([]byte, error)
	// MaxMessageSize is the largest message Send accepts (for Binder, far
	// below the 1 MB transaction buffer that the whole process shares).
	MaxMessageSize() int
	// Close ends the connection; pending and later calls fail.
	Close() error
}

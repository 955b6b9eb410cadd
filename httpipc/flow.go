package httpipc

import "context"

// maxBatchFrames is how many DATA frames of one stream are queued (and so
// usually written) together: a large write costs one system call per
// batch instead of one per frame.
const maxBatchFrames = 4

// Flow control. Each side grants its peer credit: InitialStreamCredit per
// stream and InitialConnCredit for the connection, announced in HELLO.
// Every DATA payload byte uses credit of both; a sender never sends more
// than min(stream credit, connection credit), and a receiver that sees
// more fails the connection (ErrFlowControl). The receiver returns credit
// with CREDIT frames as the application consumes the bytes (so buffered,
// unread data is bounded by the credit), batched once a quarter of the
// initial credit has been consumed. Bytes that arrive for a closed stream,
// and unread bytes of an aborted stream, are returned to the connection
// at once.

// takeCredit waits until st and the connection both have credit, and takes
// up to n bytes (at most maxBatchFrames frames of maxOut) of it.
func (c *conn) takeCredit(ctx context.Context, st *stream, n int) (int, error) {
	if n > maxBatchFrames*c.maxOut {
		n = maxBatchFrames * c.maxOut
	}
	c.mu.Lock()
	for {
		if st.aborted || c.err != nil {
			c.mu.Unlock()
			return 0, errWaitAborted
		}
		avail := int64(n)
		avail = min(avail, st.scredit, c.scredit)
		if avail > 0 {
			st.scredit -= avail
			c.scredit -= avail
			c.mu.Unlock()
			return int(avail), nil
		}
		if c.creditCh == nil {
			c.creditCh = make(chan struct{})
		}
		ch := c.creditCh
		c.mu.Unlock()
		select {
		case <-ch:
		case <-st.done:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		c.mu.Lock()
	}
}

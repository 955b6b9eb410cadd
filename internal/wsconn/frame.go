package wsconn

import "github.com/gobwas/ws"

// AppendFrame appends one final (unfragmented) frame of type op carrying
// p, for servers that write frames themselves (see UpgradeRaw). A masked
// frame, as a client sends, gets a fresh random mask; p is not modified.
func AppendFrame(b []byte, op MessageType, p []byte, masked bool) []byte {
	h := ws.Header{Fin: true, OpCode: op, Length: int64(len(p))}
	if masked {
		h.Masked = true
		h.Mask = ws.NewMask()
	}
	b = appendHeader(b, h)
	hl := len(b)
	b = append(b, p...)
	if masked {
		ws.Cipher(b[hl:], h.Mask, 0)
	}
	return b
}

package simplepush

import (
	"bytes"
	"context"
	"io"
	"net/http"
)

// Status is an endpoint's answer to an accepted PUT.
type Status int

const (
	// Delivered (200): the update was written to the user agent's socket.
	Delivered Status = http.StatusOK
	// Stored (202): the user agent is away; it gets the update on its next
	// hello.
	Stored Status = http.StatusAccepted
)

func (s Status) String() string {
	switch s {
	case Delivered:
		return "delivered"
	case Stored:
		return "stored"
	}
	return http.StatusText(int(s))
}

// NotifyEndpoint is the app-server side: it PUTs version (0 lets the
// server use its clock, as the spec allows) and data ("" sends none) to a
// pushEndpoint, form-encoded. hc nil means http.DefaultClient. Any 2xx is
// a Status; any other answer is a *NotifyError (errors.Is ErrBadToken for
// 404, ErrUnknownChannel for 410, ErrBadVersion for 400, ErrDataTooLong
// for 413).
func NotifyEndpoint(ctx context.Context, hc *http.Client, endpoint string, version uint64, data string) (Status, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	body := Notify{Version: version, HasVersion: version != 0, Data: data, HasData: data != ""}.Append(nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // reuse the connection
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return Status(resp.StatusCode), nil
	}
	return 0, &NotifyError{StatusCode: resp.StatusCode, Body: string(bytes.TrimSpace(b))}
}

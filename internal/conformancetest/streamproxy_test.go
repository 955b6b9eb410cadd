package conformancetest

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/appwire/appwire/internal/testserver"
)

// upperEcho answers every line with the line upper-cased.
func upperEcho(c net.Conn) {
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return
		}
		if _, err := c.Write(bytes.ToUpper(line)); err != nil {
			return
		}
	}
}

func TestStreamProxy(t *testing.T) {
	for _, network := range []string{"unix", "tcp"} {
		t.Run(network, func(t *testing.T) {
			var backend string
			if network == "unix" {
				backend = testserver.StartHostileUnix(t, upperEcho)
			} else {
				backend = testserver.StartHostile(t, upperEcho)
			}
			addr := StartStreamProxy(t, StreamProxy{Network: network, Backend: backend,
				Conn: func() (Pump, Pump) {
					// To the server: drop lines starting with "drop".
					toServer := func(dst io.Writer, src io.Reader) error {
						r := bufio.NewReader(src)
						for {
							line, err := r.ReadBytes('\n')
							if err != nil {
								return err
							}
							if bytes.HasPrefix(line, []byte("drop")) {
								continue
							}
							if _, err := dst.Write(line); err != nil {
								return err
							}
						}
					}
					return toServer, nil
				}})
			c, err := net.Dial(network, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, "drop me\nkeep me\n")
			got, err := bufio.NewReader(c).ReadString('\n')
			if err != nil || got != "KEEP ME\n" {
				t.Fatalf("got %q %v", got, err)
			}
		})
	}
}

func TestStreamProxyClosesBothSides(t *testing.T) {
	backend := testserver.StartHostileUnix(t, testserver.Silent)
	addr := StartStreamProxy(t, StreamProxy{Network: "unix", Backend: backend,
		Conn: func() (Pump, Pump) {
			// A pump that stops at the first byte ends the connection.
			stop := func(dst io.Writer, src io.Reader) error {
				_, err := src.Read(make([]byte, 1))
				return err
			}
			return stop, nil
		}})
	c, err := net.Dial("unix", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write([]byte("x"))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read after the pump stopped: %v, want EOF", err)
	}
}

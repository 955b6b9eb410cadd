package fuzz

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/appwire/appwire/httpipc"
	"github.com/appwire/appwire/internal/conformancetest"
)

// serverEnv makes the test binary serve httpipc on its stdin and stdout
// (TestMain), so the command target is tested without building anything.
const serverEnv = "APPWIRE_FUZZ_TEST_IPC_STDIO"

func TestMain(m *testing.M) {
	if os.Getenv(serverEnv) == "1" {
		err := (&httpipc.Server{Handler: ipcTestHandler()}).ServeConn(context.Background(), stdio{})
		if err != nil && !errors.Is(err, io.EOF) {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type stdio struct{}

func (stdio) Read(p []byte) (int, error)  { return os.Stdin.Read(p) }
func (stdio) Write(p []byte) (int, error) { return os.Stdout.Write(p) }
func (stdio) Close() error                { os.Stdin.Close(); return os.Stdout.Close() }

func ipcTestHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/echo" {
			io.Copy(w, io.LimitReader(r.Body, 1<<20))
			return
		}
		fmt.Fprintf(w, "%s %s\n", r.Method, r.URL.Path)
	})
}

// startIPC serves the test handler over httpipc on a unix socket in a
// temporary directory and returns unix://PATH.
func startIPC(t *testing.T) (string, string) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "s.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &httpipc.Server{Handler: ipcTestHandler()}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		<-done
	})
	return "unix://" + sock, sock
}

func TestHTTPIPCReferenceHasNoViolation(t *testing.T) {
	target, _ := startIPC(t)
	seeds, d := []int64{1, 2, 3}, 2*time.Second
	if testing.Short() {
		seeds, d = seeds[:1], time.Second
	}
	for _, seed := range seeds {
		rep, err := HTTPIPC(testCtx(t), target, HTTPIPCOptions{Options: Options{Duration: d, Seed: seed, BatchSize: 25}})
		var out bytes.Buffer
		rep.WriteText(&out)
		if err != nil || len(rep.Violations) > 0 || rep.PeerDown || rep.Transports["frame"] == 0 || rep.Probes == 0 {
			t.Fatalf("seed %d: %v\n%s", seed, err, out.String())
		}
		t.Logf("%s", out.String())
	}
}

// A command's stdio is a target too: each input starts its own process.
func TestHTTPIPCCommand(t *testing.T) {
	t.Setenv(serverEnv, "1")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := HTTPIPC(testCtx(t), "stdio", HTTPIPCOptions{Options: Options{MaxInputs: 60, Seed: 5, BatchSize: 20}, Command: "exec '" + exe + "'"})
	var out bytes.Buffer
	rep.WriteText(&out)
	if err != nil || len(rep.Violations) > 0 || rep.Inputs != 60 || rep.Probes != 3 {
		t.Fatalf("%v\n%s", err, out.String())
	}
}

// A server whose PING ACKs carry other bytes is caught.
func TestHTTPIPCFindsBrokenPingAck(t *testing.T) {
	_, sock := startIPC(t)
	proxy := conformancetest.StartStreamProxy(t, conformancetest.StreamProxy{
		Network: "unix", Backend: sock,
		Conn: func() (conformancetest.Pump, conformancetest.Pump) {
			return nil, func(dst io.Writer, src io.Reader) error {
				fr := httpipc.NewFramer(dst, src)
				fr.SetMaxReadFrameSize(1 << 24)
				for {
					f, err := fr.ReadFrame()
					if err != nil {
						return err
					}
					data := f.Data
					if f.Type == httpipc.FramePing && f.Flags&httpipc.FlagAck != 0 {
						data = bytes.Repeat([]byte{0xAA}, 8)
					}
					if f.Type == httpipc.FrameHello || f.Type == httpipc.FrameGoAway || f.Type == httpipc.FrameReset || f.Type == httpipc.FrameCredit {
						b, err := httpipc.AppendFrame(nil, f)
						if err != nil {
							return err
						}
						if _, err := dst.Write(b); err != nil {
							return err
						}
						continue
					}
					if _, err := dst.Write(httpipc.AppendRawFrame(nil, f.Type, f.StreamID, f.Flags, data)); err != nil {
						return err
					}
				}
			}
		},
	})
	rep, err := HTTPIPC(testCtx(t), "unix://"+proxy, HTTPIPCOptions{Options: Options{MaxInputs: 200, Seed: 2, InputTimeout: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	caught := false
	for _, v := range rep.Violations {
		caught = caught || v.Rule == ipcRules[ipcPingAck]
	}
	if !caught || !rep.Failed() {
		var out bytes.Buffer
		rep.WriteText(&out)
		t.Fatalf("broken PING ACK not caught:\n%s", out.String())
	}
}

func TestHTTPIPCGenerator(t *testing.T) {
	kinds := map[string]bool{}
	for i := range 2000 {
		a, b := genIPC(11, i), genIPC(11, i)
		if !bytes.Equal(a.Wire, b.Wire) {
			t.Fatalf("input %d differs between two generations", i)
		}
		kinds[a.Mutation] = true
	}
	if len(kinds) != len(ipcKinds) {
		t.Errorf("only %d of %d kinds used", len(kinds), len(ipcKinds))
	}
	for _, bad := range []string{"", "http://x", "unix://", "tcp://"} {
		if _, err := HTTPIPC(testCtx(t), bad, HTTPIPCOptions{Options: Options{MaxInputs: 1}}); err == nil {
			t.Errorf("target %q accepted", bad)
		}
	}
}

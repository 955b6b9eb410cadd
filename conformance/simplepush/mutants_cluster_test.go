package spsuite

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/appwire/appwire/internal/conformancetest"
	"github.com/appwire/appwire/simplepush"
)

type ctxT = context.Context

func bg() context.Context { return context.Background() }

// startNoEviction is a cluster in which every connection reaches its own
// node, all sharing one store but no bus: a second hello for a uaid on
// another node cannot close the first socket.
func startNoEviction(t *testing.T) string {
	st := simplepush.NewMemoryStore(simplepush.MemoryStoreOptions{})
	key := simplepush.NewTokenKey()
	return conformancetest.StartPerConn(t, func(n int) (http.Handler, func()) {
		o := optionsOf(ProfilePushgo)
		o.Store, o.TokenKey, o.Node = st, key, "node-"+strconv.Itoa(n)
		s, err := simplepush.NewServer(o)
		if err != nil {
			t.Error(err)
			return http.NotFoundHandler(), nil
		}
		return s, func() { s.Close() }
	})
}

// startClearTokens hands out endpoints whose token is uaid.chid in clear
// (pushgo without token_key), mapping them back to the real tokens.
func startClearTokens(t *testing.T) string {
	var (
		mu   sync.Mutex
		real = map[string]string{} // clear token -> real token
	)
	p := conformancetest.FrameProxy{
		Backend: startServer(t, optionsOf(ProfilePushgo), nil),
		Request: func(r *http.Request) {
			if !strings.HasPrefix(r.URL.Path, simplepush.DefaultEndpointPath) {
				return
			}
			mu.Lock()
			tok, ok := real[strings.TrimPrefix(r.URL.Path, simplepush.DefaultEndpointPath)]
			mu.Unlock()
			if ok {
				r.URL.Path = simplepush.DefaultEndpointPath + tok
				r.RequestURI = r.URL.RequestURI()
			}
		},
		Frame: conformancetest.TextFrames(onType(toClient, "register", func(m obj) [][]byte {
			var uaid string
			_ = json.Unmarshal(m["uaid"], &uaid)
			u, err := url.Parse(jstr(m["pushEndpoint"]))
			if err != nil {
				return one(encode(m))
			}
			clear := uaid + "." + jstr(m["channelID"])
			mu.Lock()
			real[clear] = token(u.String())
			mu.Unlock()
			u.Path = simplepush.DefaultEndpointPath + clear
			m["pushEndpoint"] = quote(u.String())
			return one(encode(m))
		})()),
	}
	return conformancetest.StartFrameProxy(t, p)
}

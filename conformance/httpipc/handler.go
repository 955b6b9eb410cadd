package ipcsuite

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// PanicSecret is the text the /panic route panics with. A conforming
// server answers 500 and this text appears nowhere in what it sends.
const PanicSecret = "ipcsuite-panic-secret-7f3a9c"

// Handler returns the reference conformance handler: the routes the suite
// sends its requests to. Serve it from the implementation under test (for
// example httpipc.Server{Handler: ipcsuite.Handler()}). Cases whose route
// answers 404 are skipped.
//
//	/echo            any method. Reads the whole request content, then
//	                 answers 200 with that content as body and the fields
//	                 x-echo-method (the method), x-echo-path (the request
//	                 target) and x-echo-length (the content length read);
//	                 every request header field named x-echo-* is copied
//	                 to the response header, every request trailer field
//	                 named x-echo-* to the response trailers. If reading the
//	                 content fails it returns without writing anything, so
//	                 the server reports the stream error itself.
//	/status/N        answers status N (200..599) with body "status N".
//	/informational   sends a 103 with "link: </style.css>; rel=preload",
//	                 then 200 with body "final".
//	/trailers        answers 200 with body "body" and the trailer field
//	                 "x-trailer: done".
//	/panic           panics with PanicSecret.
//	/slow?ms=N       waits N ms (default 10000, at most 60000) or until the
//	                 request is cancelled, then answers 200 "slow".
//	/bytes/N         answers 200 with N bytes (N <= 64 MiB), byte i being
//	                 'a'+i%26, in one Write.
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", echo)
	mux.HandleFunc("/status/{code}", status)
	mux.HandleFunc("/informational", informational)
	mux.HandleFunc("/trailers", trailers)
	mux.HandleFunc("/panic", func(http.ResponseWriter, *http.Request) { panic(PanicSecret) })
	mux.HandleFunc("/slow", slow)
	mux.HandleFunc("/bytes/{n}", byteCount)
	return mux
}

const echoPrefix = "X-Echo-"

func echo(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		return
	}
	h := w.Header()
	for k, vs := range r.Header {
		if strings.HasPrefix(k, echoPrefix) {
			h[k] = vs
		}
	}
	h.Set("X-Echo-Method", r.Method)
	h.Set("X-Echo-Path", r.RequestURI)
	h.Set("X-Echo-Length", strconv.Itoa(len(body)))
	h.Set("Content-Type", "application/octet-stream")
	for k, vs := range r.Trailer {
		if strings.HasPrefix(k, echoPrefix) {
			for _, v := range vs {
				h.Add(http.TrailerPrefix+k, v)
			}
		}
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func status(w http.ResponseWriter, r *http.Request) {
	code, err := strconv.Atoi(r.PathValue("code"))
	if err != nil || code < 200 || code > 599 {
		http.Error(w, "bad status", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, "status "+strconv.Itoa(code))
}

func informational(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Link", "</style.css>; rel=preload")
	w.WriteHeader(http.StatusEarlyHints)
	w.Header().Del("Link")
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "final")
}

func trailers(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Trailer", "X-Trailer")
	_, _ = io.WriteString(w, "body")
	w.Header().Set("X-Trailer", "done")
}

func slow(w http.ResponseWriter, r *http.Request) {
	ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
	if err != nil || ms < 0 {
		ms = 10000
	}
	tm := time.NewTimer(time.Duration(min(ms, 60000)) * time.Millisecond)
	defer tm.Stop()
	select {
	case <-tm.C:
	case <-r.Context().Done():
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "slow")
}

func byteCount(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 || n > 64<<20 {
		http.Error(w, "bad size", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(n))
	_, _ = w.Write(pattern(n))
}

// pattern returns n bytes, byte i being 'a'+i%26.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}

package main

import (
	"context"
	"net"

	"github.com/appwire/appwire/conformance"
)

// protocol ties one protocol's conformance suite to its reference server.
type protocol struct {
	name  string
	about string
	suite func() *conformance.Suite
	// serve starts the reference server on ln; the instance says where it
	// is and how to try it.
	serve func(ctx context.Context, ln net.Listener, cfg serveConfig) (*instance, error)
}

// serveConfig is what "appwire serve" passes to every reference server.
type serveConfig struct {
	redisURL string // "" means in-memory state
}

// instance is one running reference server.
type instance struct {
	url      string            // what "appwire conform" takes as TARGET
	params   map[string]string // the suite parameters that fit this server
	examples []string          // ready-to-paste commands for a newcomer
	shutdown func(ctx context.Context) error
}

// protocols lists every protocol in the order "serve" assigns ports.
func protocols() []protocol {
	return []protocol{
		afbProtocol(), simplepushProtocol(),
		httpipcProtocol(),
	}
}

func findProtocol(name string) (protocol, bool) {
	for _, p := range protocols() {
		if p.name == name {
			return p, true
		}
	}
	return protocol{}, false
}

// Package loadtest holds the load tools behind "appwire load": they
// start the server under test as a separate process (so its memory is
// measured alone), load it over loopback from the calling process, and
// report figures next to a baseline measured in the same run.
//
// RunSimplePush opens idle SimplePush WebSockets (hello and one
// registered channel each, spread over several 127.x.y.z source
// addresses), measures the server's memory and goroutines per idle
// connection, then runs PUT -> notification -> ack deliveries and the
// same PUTs against a no-op net/http handler. ServeChild is the server
// side, run by "appwire load simplepush-server".
package loadtest

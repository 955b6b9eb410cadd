package simplepush

import (
	"reflect"
	"strings"
	"testing"
)

func TestPutDeliverAck(t *testing.T) {
	ts := startServer(t, Options{})
	c := ts.dial(t)
	uaid := c.hello("")
	chid := NewChannelID()
	ep := c.register(chid)
	if strings.Contains(ep, uaid) || strings.Contains(ep, chid) {
		t.Fatalf("endpoint %s shows its ids", ep)
	}
	if st := put(t, "PUT", ep, form, "version=5&data=hi"); st != 200 {
		t.Fatalf("PUT: %d", st)
	}
	if u := c.notification(); !reflect.DeepEqual(u, []Update{{ChannelID: chid, Version: 5, Data: "hi"}}) {
		t.Fatalf("updates %+v", u)
	}
	c.ack(chid, 5)
	c.quiet()
	if st := ts.Stats(); st.Delivered != 1 || st.Conns != 1 || st.Helloed != 1 {
		t.Fatalf("stats %+v", st)
	}
}

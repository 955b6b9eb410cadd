package nodetest

import (
	"strings"
	"testing"
)

func TestRunLoadsPackages(t *testing.T) {
	n := Require(t, "hawk", "jsrsasign")
	out := n.Run(t, `
const hawk = require("hawk"); const rs = require("jsrsasign");
let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
  console.log(typeof hawk.client.header, typeof rs.KJUR.jws.JWS.sign, s.trim());
});`, []byte("ping\n"))
	if got := strings.TrimSpace(string(out)); got != "function function ping" {
		t.Fatalf("node printed %q", got)
	}
}

package docs_test

import (
	"fmt"

	"github.com/appwire/appwire/docs"
)

// A failing case names its section; the reference says what it requires
// and whether upstream implementations disagree there.
func ExampleLookup() {
	s, ok := docs.Lookup("simplepush/3.5/2")
	if !ok {
		return
	}
	fmt.Println(s.Heading(), "in", s.File)
	fmt.Println("upstreams disagree:", s.Disagree)
	for _, c := range s.Checked {
		if c.ID == "simplepush/3.5/2" {
			fmt.Println(c.ID, "runs under", c.Profiles)
		}
	}
	// Output:
	// 3.5 ack in docs/protocols/simplepush.md
	// upstreams disagree: true
	// simplepush/3.5/2 runs under [autopush appwire]
}

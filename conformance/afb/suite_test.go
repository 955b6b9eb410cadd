package afb

import "testing"

func TestSuiteValid(t *testing.T) {
	s := Suite()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	t.Log(len(s.Cases))
}

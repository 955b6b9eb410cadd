package loopapi_test

import (
	"testing"

	"github.com/appwire/appwire/loopapi"
	"github.com/appwire/appwire/loopapi/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) loopapi.Store {
		return loopapi.NewMemoryStore(loopapi.MemoryStoreOptions{})
	})
}

package loopapi

import (
	"context"
	"net/http"

	"github.com/appwire/appwire/simplepush"
)

// notify is one wake-up: the SimplePush app-server PUT of
// "version=<version>" to a push endpoint, through the simplepush
// package's helper.
func notify(ctx context.Context, hc *http.Client, endpoint string, version uint64) error {
	_, err := simplepush.NotifyEndpoint(ctx, hc, endpoint, version, "")
	return err
}

package simplepush

import (
	"context"
	"errors"
)

// WakeupDriver wakes a user agent that has no socket so that it connects
// and receives its updates (spec section 7: the early drafts' UDP "kick",
// pushgo's proprietary pingers). The server calls Wake after storing an
// update for a uaid that is connected nowhere and sent wake-up data in
// its last hello.
type WakeupDriver interface {
	// Wake asks the user agent described by w to connect. An error
	// wrapping ErrWakeupUnsupported means w is not for this driver.
	Wake(ctx context.Context, uaid string, w *Wakeup) error
}

// ErrWakeupUnsupported: the wake-up data names a method the driver does
// not implement.
var ErrWakeupUnsupported = errors.New("simplepush: unsupported wake-up")

// WakeupDrivers tries each driver in turn until one does not answer
// ErrWakeupUnsupported.
type WakeupDrivers []WakeupDriver

// Wake implements WakeupDriver.
func (ds WakeupDrivers) Wake(ctx context.Context, uaid string, w *Wakeup) error {
	for _, d := range ds {
		if err := d.Wake(ctx, uaid, w); !errors.Is(err, ErrWakeupUnsupported) {
			return err
		}
	}
	return ErrWakeupUnsupported
}

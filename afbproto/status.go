package afbproto

// Status strings carried in request.status of an afb-reply (spec §2.3).
// Bindings may use any other string; these are the ones the frameworks
// produce.
const (
	StatusSuccess = "success"

	// V6-2019 framework.
	StatusDenied        = "denied"         // bad token ("invalid token's identity") or LOA ("invalid LOA")
	StatusUnknownAPI    = "unknown-api"    // "api X not found (for verb Y)"
	StatusUnknownVerb   = "unknown-verb"   // "verb X unknown within api Y"
	StatusAborted       = "aborted"        // signal or timeout
	StatusInternalError = "internal-error" // the binding crashed or did not reply
	StatusNotAvailable  = "not-available"
	StatusDisconnected  = "disconnected" // "server hung up", produced by clients

	// V1-2016 framework.
	StatusFailed = "failed" // session checks; also the hello sample's failure status
	StatusFail   = "fail"   // "api not found"
	StatusError  = "error"  // ws/dbus relays

	// AGL-final and libafb additions.
	StatusInvalidToken      = "invalid-token"
	StatusInsufficientScope = "insufficient-scope"
	StatusNotReplied        = "not-replied"
	StatusInvalidRequest    = "invalid-request"
	StatusUnknownSession    = "unknown-session"
	StatusOutOfMemory       = "out-of-memory" // libafb
)

// Info texts the frameworks pair with their status strings.
const (
	InfoInvalidToken      = "invalid token's identity" // V1-2016 and V6-2019
	InfoInvalidTokenFinal = "invalid token"            // AGL-final and libafb, with invalid-token
	InfoInvalidLOA        = "invalid LOA"
	InfoHungUp            = "server hung up"
)

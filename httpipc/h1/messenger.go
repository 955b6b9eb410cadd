package h1

// Android Messenger constants of UstadMobile/httpoveripc
// (core/.../HttpOverIpcConstants.kt). A MessageConn carries the bytes only;
// the Android glue that bridges it to a Messenger puts them in a Message
// like this.
const (
	// WhatRequest is Message.what of a request (HTTP_MSG); its Bundle holds
	// the request bytes under KeyRequest, and Message.replyTo is the
	// client's Messenger.
	WhatRequest = 42
	// WhatResponse is Message.what of the reply (HTTP_RESPONSE); its
	// Bundle holds the response bytes under KeyResponse.
	WhatResponse = 64003
	// WhatRequestUnused is HTTP_REQUEST, defined upstream but never sent:
	// requests use WhatRequest. Do not send it; peers ignore it.
	WhatRequestUnused = 64002

	// KeyRequest is the Bundle key of the request byte array.
	KeyRequest = "request"
	// KeyResponse is the Bundle key of the response byte array.
	KeyResponse = "response"
)
